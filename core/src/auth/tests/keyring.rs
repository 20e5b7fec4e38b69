use super::{KEY_ADMIN, KEY_RBD};
use crate::auth::{parse_key_option, CryptoKey, EntityName, EntityType, Keyring};
use crate::Errno;

/// Byte for byte what `ceph-authtool -C kr --gen-key -n client.admin --cap
/// mon 'allow *' --cap osd 'allow *'` wrote.
const AUTHTOOL_KEYRING: &str =
    "[client.admin]\n\tkey = AQDVDQFr5YVdChAAbFPz3tNT21ksmsCPsFhdAg==\n\tcaps mon = \"allow *\"\n\tcaps osd = \"allow *\"\n";

#[test]
fn reads_ceph_authtool_output() {
    let kr = Keyring::parse(AUTHTOOL_KEYRING).unwrap();
    let admin = EntityName::client("admin");
    assert_eq!(kr.get(&admin), Some(&CryptoKey::from_base64(KEY_ADMIN).unwrap()));
    assert_eq!(kr.iter().count(), 1);
}

#[test]
fn several_sections_comments_quotes_and_global() {
    let text = alloc::format!(
        "# written by hand\n[global]\n\tfsid = whatever\n\n[client.admin] ; the admin\nkey = {KEY_ADMIN}\n\
         caps_mon = \"allow r ; not a comment\"\nauid = 0\n[osd.0]\n  key = \"{KEY_RBD}\"   # quoted\n[mon.]\nkey={KEY_RBD}\n"
    );
    let kr = Keyring::parse(&text).unwrap();
    assert_eq!(kr.get(&EntityName::client("admin")), Some(&CryptoKey::from_base64(KEY_ADMIN).unwrap()));
    assert_eq!(kr.get(&EntityName::new(EntityType::OSD, "0")), Some(&CryptoKey::from_base64(KEY_RBD).unwrap()));
    assert!(kr.get(&EntityName::new(EntityType::MON, "")).is_some());
    assert_eq!(kr.iter().count(), 3);
}

#[test]
fn missing_entity_is_enoent() {
    let kr = Keyring::parse(AUTHTOOL_KEYRING).unwrap();
    let err = kr.key_for(&EntityName::client("rbd")).unwrap_err();
    assert_eq!(err.errno(), Errno::ENOENT);
    assert_eq!(alloc::format!("{err}"), "no key for client.rbd");
}

#[test]
fn malformed_keyrings_are_einval() {
    let bad = [
        "[client.admin]\nkey = AQBf7+pm\n",
        "[client.admin]\nkey = \"unterminated\n",
        "[client.admin]\nsecret = x\n",
        "[client.admin]\ncaps = \"allow\"\n",
        "[client.admin\nkey = x\n",
        "[nobody.admin]\n",
        "[client]\n",
        "key = AQBf7+pmAAAAABAAq3B1yt9Pb+tUEjEXlR1UTw==\n",
        "[client.admin]\njust words\n",
        "[client.admin]\nkey = \"AQBf7+pmAAAAABAAq3B1yt9Pb+tUEjEXlR1UTw==\" tail\n",
    ];
    for text in bad {
        assert_eq!(Keyring::parse(text).map(|_| ()).unwrap_err().errno(), Errno::EINVAL, "{text:?}");
    }
}

#[test]
fn key_option() {
    assert_eq!(parse_key_option(KEY_RBD).unwrap(), CryptoKey::from_base64(KEY_RBD).unwrap());
    assert_eq!(parse_key_option("garbage").unwrap_err().errno(), Errno::EINVAL);
}

#[test]
fn entity_names() {
    let admin = EntityName::parse("client.admin").unwrap();
    assert_eq!(admin, EntityName::client("admin"));
    assert_eq!(alloc::format!("{admin}"), "client.admin");
    assert_eq!(EntityName::parse("osd.3.x"), Some(EntityName::new(EntityType::OSD, "3.x")));
    assert_eq!(EntityName::parse("admin"), None);
    assert_eq!(EntityName::parse("daemon.x"), None);
}
