//! Image IO against a byte-array model, in the spirit of Ceph's fsx: random
//! writes, reads, discards, write-zeroes, write-same and compare-and-write
//! on random layouts (fancy striping included), on plain images and on
//! clones reading through a parent snapshot, with child snapshots, every
//! batch of object replies delivered in a seeded random order. Every read
//! and every live snapshot must match the model after every step.

use std::collections::BTreeMap;
use std::sync::Arc;

use rbdrs_core::encoding::UtcTime;
use rbdrs_core::image::io::{self, CompareOutcome};
use rbdrs_core::image::operation;
use rbdrs_core::image::{DiscardPolicy, ImageCtx, ImageRuntime, IoCtx, ParentInfo, ParentSpec, SnapInfo};
use rbdrs_core::memstore::{ClassRegistry, MemStore};
use rbdrs_core::naming;
use rbdrs_core::osd::{ClientId, SnapContext, SnapId};
use rbdrs_core::rados::{Dispatcher, LocalDriver};
use rbdrs_core::random::XorShift;
use rbdrs_core::striper::{extent_to_file, file_to_extents, Layout};

const STEPS: usize = 2_000;

fn store() -> MemStore {
    let mut classes = ClassRegistry::default();
    rbdrs_core::cls::register_all(&mut classes);
    MemStore::with_classes(classes)
}

fn random_layout(rng: &mut XorShift) -> Layout {
    let order = 12 + (rng.next_u64() % 5) as u8; // 4 KiB .. 64 KiB objects
    if rng.next_u64() & 1 == 0 {
        return Layout::from_order(order).unwrap();
    }
    let su = (1u64 << order) >> (rng.next_u64() % 4);
    let sc = 2 + rng.next_u64() % 4;
    Layout::new(order, su, sc).unwrap()
}

fn image(io: &IoCtx, id: &str, layout: Layout, size: u64) -> ImageCtx {
    ImageCtx {
        io: io.clone(),
        data_io: io.clone(),
        name: id.into(),
        id: id.into(),
        object_prefix: naming::data_object_prefix(id, None),
        layout,
        size,
        features: 1,
        flags: 0,
        snapc: SnapContext::default(),
        snaps: BTreeMap::new(),
        parent_info: None,
        parent: None,
        snap_id: SnapId::HEAD,
        read_only: false,
        discard: DiscardPolicy::default(),
        runtime: Arc::new(ImageRuntime::new(io.dispatcher.allocate_handle())),
        header_seen: 0,
    }
}

struct Run<'a> {
    rng: XorShift,
    driver: LocalDriver<'a>,
    ictx: ImageCtx,
    model: Vec<u8>,
    snaps: BTreeMap<u64, Vec<u8>>,
}

impl Run<'_> {
    fn extent(&mut self) -> (u64, u64) {
        let size = self.model.len() as u64;
        let offset = self.rng.next_u64() % size;
        let max = (size - offset).min(3 * self.ictx.layout.object_size() * self.ictx.layout.stripe_count());
        (offset, 1 + self.rng.next_u64() % max)
    }

    fn bytes(&mut self, len: u64) -> Vec<u8> {
        let mut data = vec![0u8; len as usize];
        self.rng.fill(&mut data);
        data
    }

    /// The image bytes a discard zeroes, per librbd's granule pruning.
    fn discarded(&self, offset: u64, length: u64, policy: DiscardPolicy) -> Vec<(u64, u64)> {
        let layout = &self.ictx.layout;
        let object_size = layout.object_size();
        let granule = policy.granularity.min(object_size);
        let mut zeroed = Vec::new();
        for e in file_to_extents(layout, offset, length).unwrap() {
            let (mut start, mut end) = (e.offset, e.offset + e.length);
            if policy.skip_partial && (granule < object_size || end < object_size) {
                start = start.div_ceil(granule) * granule;
                end = end / granule * granule;
            }
            if start < end {
                zeroed.extend(extent_to_file(layout, e.object_no, start, end - start).unwrap());
            }
        }
        zeroed
    }

    fn step(&mut self) {
        let ictx = self.ictx.clone();
        match self.rng.next_u64() % 12 {
            0 | 1 => {
                let (offset, length) = self.extent();
                let data = self.bytes(length);
                assert_eq!(self.driver.run(io::write(&ictx, offset, &data)).unwrap(), Ok(length));
                self.model[offset as usize..(offset + length) as usize].copy_from_slice(&data);
            }
            2 => {
                let (offset, length) = self.extent();
                let policy = DiscardPolicy {
                    skip_partial: self.rng.next_u64() & 1 == 0,
                    granularity: 4096 << (self.rng.next_u64() % 4),
                };
                let mut ictx = ictx;
                ictx.discard = policy;
                assert_eq!(self.driver.run(io::discard(&ictx, offset, length)).unwrap(), Ok(length));
                for (o, l) in self.discarded(offset, length, policy) {
                    self.model[o as usize..(o + l) as usize].fill(0);
                }
            }
            3 => {
                let (offset, length) = self.extent();
                assert_eq!(self.driver.run(io::write_zeroes(&ictx, offset, length)).unwrap(), Ok(length));
                self.model[offset as usize..(offset + length) as usize].fill(0);
            }
            4 => {
                let (offset, length) = self.extent();
                let pattern_len = 1 + self.rng.next_u64() % 7;
                let pattern = self.bytes(pattern_len);
                let length = length / pattern.len() as u64 * pattern.len() as u64;
                let result = self.driver.run(io::write_same(&ictx, offset, length, &pattern)).unwrap();
                assert_eq!(result, Ok(length));
                for (i, byte) in self.model[offset as usize..(offset + length) as usize].iter_mut().enumerate() {
                    *byte = pattern[i % pattern.len()];
                }
            }
            5 => {
                // Within one stripe unit, so within one object.
                let su = self.ictx.layout.stripe_unit();
                let (offset, _) = self.extent();
                let length = (1 + self.rng.next_u64() % 64).min(su - offset % su).min(self.model.len() as u64 - offset);
                let range = offset as usize..(offset + length) as usize;
                let mut compare = self.model[range.clone()].to_vec();
                let mismatch = self.rng.next_u64() & 1 == 0;
                if mismatch {
                    let at = (self.rng.next_u64() % length) as usize;
                    compare[at] ^= 0x5a;
                }
                let data = self.bytes(length);
                let outcome = self.driver.run(io::compare_and_write(&ictx, offset, &compare, &data)).unwrap().unwrap();
                if mismatch {
                    let first = compare.iter().zip(&self.model[range]).position(|(a, b)| a != b).unwrap() as u64;
                    assert_eq!(outcome, CompareOutcome::Mismatch { offset: offset + first });
                } else {
                    assert_eq!(outcome, CompareOutcome::Written);
                    self.model[range].copy_from_slice(&data);
                }
            }
            6 => {
                let id = self.driver.run(ictx.io.create_snap()).unwrap().unwrap();
                self.ictx.snapc =
                    SnapContext::new(id, [id].into_iter().chain(self.ictx.snapc.snaps.iter().copied()).collect());
                let parent = self.ictx.parent_info.clone();
                self.ictx.snaps.insert(
                    id,
                    SnapInfo {
                        name: format!("s{id}"),
                        size: self.model.len() as u64,
                        parent,
                        namespace: Default::default(),
                        timestamp: Default::default(),
                    },
                );
                self.snaps.insert(id, self.model.clone());
            }
            7 => {
                // Resize; a shrink trims objects and the parent overlap.
                let set = self.ictx.layout.object_size() * self.ictx.layout.stripe_count();
                let old = self.ictx.size;
                let new = (old / 2 + self.rng.next_u64() % (old + set)).max(1);
                let driver = &mut self.driver;
                driver.run(operation::trim(&ictx, old, new)).unwrap().unwrap();
                self.ictx.size = new;
                if let Some(info) = &mut self.ictx.parent_info {
                    info.overlap = info.overlap.min(new);
                }
                self.model.resize(new as usize, 0);
            }
            8 => {
                let Some((&snap, data)) =
                    self.snaps.iter().nth((self.rng.next_u64() % self.snaps.len().max(1) as u64) as usize)
                else {
                    return;
                };
                let info = self.ictx.snaps[&snap].clone();
                let span = self.ictx.size.max(info.size);
                self.driver.run(operation::rollback_objects(&ictx, snap, span)).unwrap().unwrap();
                self.ictx.size = info.size;
                self.ictx.parent_info = info.parent;
                self.model = data.clone();
            }
            9 => {
                if self.ictx.parent_info.is_none() {
                    return;
                }
                self.driver.run(operation::flatten_objects(&ictx)).unwrap().unwrap();
                // The head no longer needs the parent; snapshots still do.
                self.ictx.parent_info = None;
            }
            _ => {
                let (offset, length) = self.extent();
                let got = self.driver.run(io::read(&ictx, offset, length)).unwrap().unwrap();
                assert!(
                    got == self.model[offset as usize..(offset + length) as usize],
                    "read {offset}~{length} differs"
                );
            }
        }
    }

    fn check_all(&mut self) {
        let size = self.model.len() as u64;
        let head = self.driver.run(io::read(&self.ictx, 0, size)).unwrap().unwrap();
        assert!(head == self.model, "head differs from the model");
        for (&id, expected) in &self.snaps {
            let at_snap = ImageCtx { snap_id: SnapId(id), ..self.ictx.clone() };
            let got = self.driver.run(io::read(&at_snap, 0, expected.len() as u64)).unwrap().unwrap();
            assert!(&got == expected, "snapshot {id} differs from the model");
        }
    }
}

fn run_seed(seed: u64, clone: bool) {
    let store = store();
    let pool = store.create_pool("rbd").unwrap();
    let dispatcher = Dispatcher::new();
    dispatcher.set_time(UtcTime::new(1_700_000_000, 0));
    let io = IoCtx::new(dispatcher.clone(), pool, "", ClientId { global_id: 4100, nonce: 1 });
    let mut rng = XorShift::new(seed);
    let layout = random_layout(&mut rng);
    let set = layout.object_size() * layout.stripe_count();
    let size = set * (1 + rng.next_u64() % 3) + rng.next_u64() % set;
    let mut driver = LocalDriver::new(&store, dispatcher).shuffled(seed);

    let mut ictx = image(&io, "child", layout, size);
    let mut model = vec![0u8; size as usize];
    if clone {
        // A parent with data, snapshotted, then changed: the child must see
        // the snapshot, never the parent's later writes.
        let mut parent = image(&io, "parent", random_layout(&mut rng), size + rng.next_u64() % set);
        let mut data = vec![0u8; parent.size as usize];
        rng.fill(&mut data);
        data[..parent.size as usize / 3].fill(0); // some of it never written
        let third = parent.size / 3;
        driver.run(io::write(&parent, third, &data[third as usize..])).unwrap().unwrap();
        let snap = driver.run(io.create_snap()).unwrap().unwrap();
        parent.snapc = SnapContext::new(snap, vec![snap]);
        parent.snaps.insert(
            snap,
            SnapInfo {
                name: "base".into(),
                size: parent.size,
                parent: None,
                namespace: Default::default(),
                timestamp: Default::default(),
            },
        );
        driver.run(io::write(&parent, 0, &vec![0xee; parent.size as usize])).unwrap().unwrap();
        let overlap = size - rng.next_u64() % (size / 2);
        ictx.parent_info = Some(ParentInfo {
            spec: ParentSpec {
                pool_id: pool,
                pool_namespace: String::new(),
                image_id: "parent".into(),
                snap_id: SnapId(snap),
            },
            overlap,
        });
        ictx.parent = Some(Arc::new(ImageCtx { read_only: true, snap_id: SnapId(snap), ..parent }));
        model[..overlap as usize].copy_from_slice(&data[..overlap as usize]);
    }
    let mut run = Run { rng, driver, ictx, model, snaps: BTreeMap::new() };
    run.check_all();
    for i in 0..STEPS {
        run.step();
        if i % 50 == 49 {
            run.check_all();
        }
    }
    run.check_all();
}

#[test]
fn plain_images_match_the_model() {
    for seed in 1..=12 {
        run_seed(seed, false);
    }
}

#[test]
fn clones_match_the_model() {
    for seed in 100..=112 {
        run_seed(seed, true);
    }
}
