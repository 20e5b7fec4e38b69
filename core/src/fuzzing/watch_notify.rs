//! Fuzzes what peers send on an image's header watch: arbitrary bytes as a
//! NotifyMessage, a ResponseMessage and a notify's acks, and as a
//! notification reaching an open image that owns the lock or not. Nothing
//! may panic; what decodes must survive a round trip.

use crate::image::watcher::messages::{decode_response, encode_response};
use crate::image::watcher::{react, Action, ClientId, NotifyMessage};
use crate::image::ImageRuntime;
use crate::osd::NotifyResponse;

pub fn run(data: &[u8]) {
    if let Ok(message) = NotifyMessage::from_bytes(data) {
        if !matches!(message, NotifyMessage::Unknown(_)) {
            assert_eq!(NotifyMessage::from_bytes(&message.to_bytes()), Ok(message));
        }
    }
    if let Ok(result) = decode_response(data) {
        assert_eq!(decode_response(&encode_response(result)), Ok(result));
    }
    if let Ok(response) = NotifyResponse::decode(data) {
        let mut again = alloc::vec::Vec::new();
        response.encode(&mut again);
        assert_eq!(NotifyResponse::decode(&again), Ok(response.clone()));
        let _ = response.owner_response();
    }
    let me = ClientId { gid: 1, handle: 2 };
    for owned in [false, true] {
        let runtime = ImageRuntime::new(2);
        runtime.set_lock_owned(owned);
        let reaction = react(&runtime, me, data);
        // Only an owner answers with a payload, and only an owner lets go.
        assert!(owned || (reaction.ack.is_empty() && reaction.action == Action::Nothing));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn survives_random_bytes() {
        super::super::run_seeded(0x3a7c, 20_000, 96, super::run);
    }

    #[test]
    fn survives_mutated_messages() {
        use crate::image::watcher::{ClientId, NotifyMessage};
        let seed = NotifyMessage::RequestLock { client: ClientId { gid: 5, handle: 6 }, force: false }.to_bytes();
        let mut rng = crate::random::XorShift::new(9);
        for _ in 0..5_000 {
            let mut bytes = seed.to_vec();
            let at = (rng.next_u64() as usize) % bytes.len();
            bytes[at] = rng.next_u64() as u8;
            super::run(&bytes);
        }
    }
}
