#!/usr/bin/env python3
"""Check kiwi image descriptions the way kiwi and OBS read them; exit 1 on the first problem.

Usage: python check_kiwi.py FILE.kiwi [FILE.kiwi ...]

For each file:
1. kiwi: the schemaversion is the one the installed kiwi's schema pins, or an older
   one its XSLT converters take forward (kiwi 11 loads the 7.5 descriptions Debian 12's
   kiwi 9.24 knows). When it is kiwi's own, the RELAX NG grammar and the schematron
   rules are also applied to the raw, unconverted file, since kiwi logs nothing when a
   converter rewrites an old construct.
2. kiwi: XMLDescription(path).load(), kiwi's own loader, then XMLState for the
   profile-less build and for every profile (each must give a build type). The OK
   line names the package manager XMLState gives, after any conversion.
3. obs-build: the magic comments match Build/Kiwi.pm's regexes, and for apt
   repositories the `distribution=` attribute is on the line that opens the
   element, where build-recipe-kiwi's sed looks for it.
"""
import re
import sys

from lxml import etree, isoschematron
from kiwi import version as Version
from kiwi.defaults import Defaults
from kiwi.xml_description import XMLDescription
from kiwi.xml_state import XMLState

RNG_NS = {'rng': 'http://relaxng.org/ns/structure/1.0'}
# Build/Kiwi.pm: one per magic comment, matched line by line (multi-line mode).
OBS_COMMENT = r'^\s*<!--\s+OBS-{}:\s+(.*)\s+-->\s*$'
# build-recipe-kiwi: sed -ne 's/.*<repository.*distribution="\([^"]*\)".*/\1/p'
OBS_DISTRIBUTION = re.compile(r'.*<repository.*distribution="([^"]*)".*')


def fail(path, message):
    raise SystemExit(f'{path}: {message}')


def schema_version(rng_doc):
    values = rng_doc.xpath(
        '//rng:attribute[@name="schemaversion"]//rng:value/text()', namespaces=RNG_NS)
    if len(set(values)) != 1:
        raise SystemExit(f'kiwi.rng pins no single schemaversion: {values}')
    return values[0].strip()


def check_kiwi(path, rng_doc):
    want = schema_version(rng_doc)
    raw = etree.parse(path)
    got = raw.getroot().get('schemaversion')
    if got != want:
        if not got or version(got) > version(want):
            fail(path, f"schemaversion {got!r}, newer than kiwi {Version.__version__}'s {want!r}")
        # kiwi converts it on load, below, and validates the converted description.
        data = XMLDescription(path).load()
        return got, check_states(path, data)
    relaxng = etree.RelaxNG(rng_doc)
    if not relaxng.validate(raw):
        fail(path, f'not valid against kiwi.rng without conversion:\n{relaxng.error_log}')
    schematron = isoschematron.Schematron(rng_doc, store_report=True)
    if not schematron.validate(raw):
        failed = schematron.validation_report.xpath(
            '//svrl:failed-assert', namespaces={'svrl': 'http://purl.oclc.org/dsdl/svrl'})
        report = '\n'.join(f'  {f.get("location")}: {" ".join(f.itertext()).strip()}'
                            for f in failed)
        fail(path, f'kiwi schematron rules fail:\n{report}')
    # Raises KiwiDescriptionInvalid and the like on failure: a traceback and exit 1.
    data = XMLDescription(path).load()
    return want, check_states(path, data)


def version(text):
    return tuple(int(x) for x in text.split('.'))


def check_states(path, data):
    """XMLState for the profile-less build and every profile; the profile names and the
    package manager."""
    profiles = [p.get_name() for section in data.get_profiles() for p in section.get_profile()]
    for selected in [[]] + [[p] for p in profiles]:
        state = XMLState(data, selected)
        if not state.get_build_type_name():
            fail(path, f'no build type with profiles {selected}')
        state.get_system_packages()
    return profiles, XMLState(data).get_package_manager()


def check_obs(path, profiles):
    text = open(path, encoding='utf-8').read()
    arch = re.findall(OBS_COMMENT.format('ExclusiveArch'), text, re.MULTILINE)
    if len(arch) != 1 or not arch[0].split():
        fail(path, f'obs-build finds no OBS-ExclusiveArch list (found {arch})')
    obs_profiles = re.findall(OBS_COMMENT.format('Profiles'), text, re.MULTILINE)
    if profiles and obs_profiles != ['@BUILD_FLAVOR@']:
        fail(path, f'profiles {profiles} but OBS-Profiles is {obs_profiles}')
    if not profiles and obs_profiles:
        fail(path, 'OBS-Profiles without profiles')
    root = etree.parse(path).getroot()
    apt = [r for r in root.iter('repository') if r.get('type') == 'apt-deb']
    if apt:
        found = [m.group(1) for line in text.splitlines()
                 if (m := OBS_DISTRIBUTION.match(line))]
        if not found or found[0] != apt[0].get('distribution'):
            fail(path, f'obs-build reads distribution {found[:1]}, the first apt repository '
                       f'has {apt[0].get("distribution")!r}')


def main(paths):
    if not paths:
        raise SystemExit(__doc__)
    rng_doc = etree.parse(Defaults.get_schema_file())
    for path in paths:
        schema, (profiles, package_manager) = check_kiwi(path, rng_doc)
        check_obs(path, profiles)
        print(f'OK {path} (kiwi {Version.__version__}, schemaversion {schema}, '
              f'profiles {profiles or "none"}, packagemanager {package_manager})')


if __name__ == '__main__':
    main(sys.argv[1:])
