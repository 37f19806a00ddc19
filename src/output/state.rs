//! How the record of rendered files ([`super::STATE_FILE`]) writes which targets a file
//! serves: `all`, a format (`rpm`, `deb`), or target ids joined by commas.

use crate::distro::Format;
use crate::render::Serves;

/// The form of `serves` recorded in the state file.
pub(crate) fn tag(serves: &Serves) -> String {
    match serves {
        Serves::All => "all".to_string(),
        Serves::Format(f) => f.as_str().to_string(),
        Serves::Targets(ids) => ids.iter().cloned().collect::<Vec<_>>().join(","),
    }
}

/// What a tag of the state file stands for.
pub(crate) fn serves(tag: &str) -> Serves {
    match tag {
        "all" => Serves::All,
        "rpm" => Serves::Format(Format::Rpm),
        "deb" => Serves::Format(Format::Deb),
        ids => Serves::Targets(ids.split(',').map(str::to_string).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_round_trip() {
        for s in [
            Serves::All,
            Serves::Format(Format::Rpm),
            Serves::Format(Format::Deb),
            Serves::one("debian-12"),
            Serves::Targets(["a".to_string(), "b".to_string()].into()),
        ] {
            assert_eq!(serves(&tag(&s)), s);
        }
        assert_eq!(tag(&serves("b,a")), "a,b");
    }
}
