//! The msgr2 banner both ends send first: `"ceph v2\n"`, a `le16` payload
//! length, and a payload of `le64` supported and `le64` required msgr2
//! features (ProtocolV2::_banner_exchange and _handle_peer_banner*).

/// `CEPH_BANNER_V2_PREFIX`.
pub const BANNER_PREFIX: &[u8; 8] = b"ceph v2\n";
/// `CEPH_BANNER`, what a msgr1-only peer sends instead.
const V1_BANNER: &[u8; 9] = b"ceph v027";
/// Prefix plus the `le16` payload length.
const FIXED_LEN: usize = BANNER_PREFIX.len() + 2;
/// Two `le64` feature masks.
const PAYLOAD_LEN: usize = 16;

/// msgr2 feature bits (`CEPH_MSGR2_FEATURE_*` in src/include/msgr.h).
pub mod features {
    /// msgr2.1: the frame format this crate speaks.
    pub const REVISION_1: u64 = 1 << 0;
    /// On-wire compression (Quincy and later).
    pub const COMPRESSION: u64 = 1 << 1;
    /// What this implementation offers: msgr2.1, no compression.
    pub const SUPPORTED: u64 = REVISION_1;
    /// What it demands in the banner; like upstream, nothing. A peer
    /// without REVISION_1 is refused by [`super::Banner::check_peer`].
    pub const REQUIRED: u64 = 0;
}

/// Why a peer's banner is unacceptable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BannerError {
    #[error("peer speaks msgr1 only")]
    PeerIsMsgrV1,
    #[error("peer did not send a msgr2 banner")]
    NotMsgrV2,
    #[error("banner payload of {0} bytes is too short for two feature masks")]
    PayloadTooShort(u16),
    #[error("peer lacks msgr2 features we require: {missing:#x}")]
    PeerLacksRequired { missing: u64 },
    #[error("peer requires msgr2 features we lack: {missing:#x}")]
    WeLackRequired { missing: u64 },
    #[error("peer does not speak msgr2.1")]
    PeerLacksRevision1,
}

/// One side's banner: its supported and required msgr2 features.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Banner {
    pub supported: u64,
    pub required: u64,
}

impl Default for Banner {
    fn default() -> Self {
        Banner { supported: features::SUPPORTED, required: features::REQUIRED }
    }
}

impl Banner {
    /// Length of a banner with the standard 16-byte payload.
    pub const LEN: usize = FIXED_LEN + PAYLOAD_LEN;

    pub fn encode(&self) -> [u8; Banner::LEN] {
        let mut out = [0u8; Banner::LEN];
        out[..8].copy_from_slice(BANNER_PREFIX);
        out[8..10].copy_from_slice(&(PAYLOAD_LEN as u16).to_le_bytes());
        out[10..18].copy_from_slice(&self.supported.to_le_bytes());
        out[18..26].copy_from_slice(&self.required.to_le_bytes());
        out
    }

    /// Parses a peer's banner from the start of `buf`. `Ok(None)` means
    /// more bytes are needed; `Ok(Some((banner, n)))` consumed `n` bytes.
    /// Payload bytes past the two masks are skipped, as upstream does.
    pub fn parse(buf: &[u8]) -> Result<Option<(Banner, usize)>, BannerError> {
        let seen = buf.len().min(BANNER_PREFIX.len());
        if buf[..seen] != BANNER_PREFIX[..seen] {
            let v1_seen = buf.len().min(V1_BANNER.len());
            return Err(if buf[..v1_seen] == V1_BANNER[..v1_seen] {
                BannerError::PeerIsMsgrV1
            } else {
                BannerError::NotMsgrV2
            });
        }
        let Some(len_bytes) = buf.get(BANNER_PREFIX.len()..FIXED_LEN) else {
            return Ok(None);
        };
        let payload_len = u16::from_le_bytes([len_bytes[0], len_bytes[1]]);
        if usize::from(payload_len) < PAYLOAD_LEN {
            return Err(BannerError::PayloadTooShort(payload_len));
        }
        let total = FIXED_LEN + usize::from(payload_len);
        let Some(payload) = buf.get(FIXED_LEN..total) else {
            return Ok(None);
        };
        let mut mask = [0u8; 8];
        mask.copy_from_slice(&payload[..8]);
        let supported = u64::from_le_bytes(mask);
        mask.copy_from_slice(&payload[8..16]);
        let required = u64::from_le_bytes(mask);
        Ok(Some((Banner { supported, required }, total)))
    }

    /// Checks a peer's banner against ours the way ProtocolV2 does, and
    /// insists on msgr2.1, the only frame format this crate speaks.
    pub fn check_peer(&self, ours: &Banner) -> Result<(), BannerError> {
        let missing = ours.required & !self.supported;
        if missing != 0 {
            return Err(BannerError::PeerLacksRequired { missing });
        }
        let missing = self.required & !ours.supported;
        if missing != 0 {
            return Err(BannerError::WeLackRequired { missing });
        }
        if self.supported & features::REVISION_1 == 0 {
            return Err(BannerError::PeerLacksRevision1);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Pacific (16.2.15) monitor's banner, read off its msgr2 port.
    const PACIFIC_MON_BANNER: [u8; 26] = [
        0x63, 0x65, 0x70, 0x68, 0x20, 0x76, 0x32, 0x0a, 0x10, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    #[test]
    fn encodes_as_prepare_banner_does() {
        // Kernel prepare_banner(): prefix, le16 16, le64 supported, le64 required.
        let bytes = Banner { supported: 3, required: 0x0102 }.encode();
        let mut want = b"ceph v2\n".to_vec();
        want.extend_from_slice(&[16, 0, 3, 0, 0, 0, 0, 0, 0, 0, 2, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(bytes[..], want[..]);
        assert_eq!(Banner::default().encode(), PACIFIC_MON_BANNER);
    }

    #[test]
    fn parses_a_real_monitor_banner() {
        let (banner, used) = Banner::parse(&PACIFIC_MON_BANNER).unwrap().unwrap();
        assert_eq!(used, 26);
        assert_eq!(banner, Banner { supported: features::REVISION_1, required: 0 });
        assert_eq!(banner.check_peer(&Banner::default()), Ok(()));
    }

    #[test]
    fn waits_for_every_byte() {
        for cut in 0..PACIFIC_MON_BANNER.len() {
            assert_eq!(Banner::parse(&PACIFIC_MON_BANNER[..cut]), Ok(None), "cut at {cut}");
        }
    }

    #[test]
    fn longer_payloads_are_skipped() {
        let mut bytes = b"ceph v2\n".to_vec();
        bytes.extend_from_slice(&[20, 0]);
        bytes.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9, 9, 0xaa]);
        let (banner, used) = Banner::parse(&bytes).unwrap().unwrap();
        assert_eq!((banner.supported, used), (1, 30));
    }

    #[test]
    fn refuses_bad_banners() {
        assert_eq!(Banner::parse(b"ceph v027"), Err(BannerError::PeerIsMsgrV1));
        assert_eq!(Banner::parse(b"ceph v0"), Err(BannerError::PeerIsMsgrV1));
        assert_eq!(Banner::parse(b"HTTP/1.1 400"), Err(BannerError::NotMsgrV2));
        assert_eq!(Banner::parse(b"ceph v2\n\x08\x00"), Err(BannerError::PayloadTooShort(8)));
    }

    #[test]
    fn feature_checks_follow_protocolv2() {
        let ours = Banner { supported: features::REVISION_1, required: features::REVISION_1 };
        let rev0 = Banner { supported: 0, required: 0 };
        assert_eq!(rev0.check_peer(&ours), Err(BannerError::PeerLacksRequired { missing: 1 }));
        assert_eq!(rev0.check_peer(&Banner::default()), Err(BannerError::PeerLacksRevision1));
        let greedy = Banner { supported: 3, required: features::COMPRESSION };
        assert_eq!(greedy.check_peer(&ours), Err(BannerError::WeLackRequired { missing: 2 }));
    }
}
