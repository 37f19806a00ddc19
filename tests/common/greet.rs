//! `greet`, the smallest upstream a package can be built from: a shell script and a
//! Makefile that installs it under `$(DESTDIR)$(PREFIX)/bin`.

/// The upstream's Makefile.
pub const MAKEFILE: &str = "\
PREFIX ?= /usr/local

all:

install:
\tinstall -D -m 0755 greet $(DESTDIR)$(PREFIX)/bin/greet

clean:

.PHONY: all install clean
";

/// The program, which prints one line.
pub const GREET: &str = "#!/bin/sh\necho \"Hello from greet 1.0\"\n";

/// The upstream's files, as a git tree holds them.
pub const FILES: &[(&str, &str)] = &[("Makefile", MAKEFILE), ("greet", GREET)];
