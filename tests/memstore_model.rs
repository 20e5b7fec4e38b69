//! The in-memory store against a model that simply copies every object at
//! each snapshot: after any sequence of writes, snapshots, snapshot removals
//! and rollbacks, every object reads the same at the head and at every live
//! snapshot.

use std::collections::BTreeMap;

use bytes::Bytes;
use proptest::prelude::*;
use rbdrs_core::encoding::UtcTime;
use rbdrs_core::memstore::MemStore;
use rbdrs_core::osd::{ObjectId, ObjectOperation, ObjectRequest, SnapContext, SnapId};
use rbdrs_core::Errno;

const OBJECTS: u8 = 3;
const SPAN: u64 = 200 * 1024; // crosses several of the store's 64 KiB chunks

#[derive(Clone, Debug)]
enum Step {
    Write { obj: u8, offset: u64, len: usize, fill: u8 },
    WriteFull { obj: u8, len: usize, fill: u8 },
    Zero { obj: u8, offset: u64, len: u64 },
    Truncate { obj: u8, size: u64 },
    Remove { obj: u8 },
    Snap,
    RemoveSnap { pick: usize },
    Rollback { obj: u8, pick: usize },
}

fn step() -> impl Strategy<Value = Step> {
    let obj = 0..OBJECTS;
    prop_oneof![
        4 => (obj.clone(), 0..SPAN, 0..70_000usize, any::<u8>()).prop_map(|(obj, offset, len, fill)| Step::Write { obj, offset, len, fill }),
        1 => (obj.clone(), 0..70_000usize, any::<u8>()).prop_map(|(obj, len, fill)| Step::WriteFull { obj, len, fill }),
        2 => (obj.clone(), 0..SPAN, 0..SPAN).prop_map(|(obj, offset, len)| Step::Zero { obj, offset, len }),
        1 => (obj.clone(), 0..SPAN).prop_map(|(obj, size)| Step::Truncate { obj, size }),
        1 => obj.clone().prop_map(|obj| Step::Remove { obj }),
        2 => Just(Step::Snap),
        1 => any::<usize>().prop_map(|pick| Step::RemoveSnap { pick }),
        1 => (obj, any::<usize>()).prop_map(|(obj, pick)| Step::Rollback { obj, pick }),
    ]
}

type Objects = BTreeMap<u8, Vec<u8>>;

struct Harness {
    store: MemStore,
    pool: i64,
    snapc: SnapContext,
    head: Objects,
    snaps: BTreeMap<u64, Objects>,
}

impl Harness {
    fn new() -> Self {
        let store = MemStore::new();
        let pool = store.create_pool("rbd").unwrap();
        Harness { store, pool, snapc: SnapContext::default(), head: Objects::new(), snaps: BTreeMap::new() }
    }

    fn oid(&self, obj: u8) -> ObjectId {
        ObjectId::new(self.pool, "", format!("rbd_data.model.{obj:016x}"))
    }

    fn write(&self, obj: u8, build: impl FnOnce(&mut ObjectOperation)) -> i32 {
        let mut op = ObjectOperation::new();
        build(&mut op);
        self.store.execute(&ObjectRequest::write(self.oid(obj), self.snapc.clone(), UtcTime::new(1, 0), op)).result
    }

    fn apply(&mut self, step: &Step) {
        match *step {
            Step::Write { obj, offset, len, fill } => {
                assert_eq!(
                    self.write(obj, |op| {
                        op.write(offset, Bytes::from(vec![fill; len]));
                    }),
                    0
                );
                let data = self.head.entry(obj).or_default();
                let end = offset as usize + len;
                if data.len() < end {
                    data.resize(end, 0);
                }
                data[offset as usize..end].fill(fill);
            }
            Step::WriteFull { obj, len, fill } => {
                assert_eq!(
                    self.write(obj, |op| {
                        op.write_full(Bytes::from(vec![fill; len]));
                    }),
                    0
                );
                self.head.insert(obj, vec![fill; len]);
            }
            Step::Zero { obj, offset, len } => {
                assert_eq!(
                    self.write(obj, |op| {
                        op.zero(offset, len);
                    }),
                    0
                );
                if let Some(data) = self.head.get_mut(&obj) {
                    let end = (offset + len).min(data.len() as u64) as usize;
                    if (offset as usize) < end {
                        data[offset as usize..end].fill(0);
                    }
                }
            }
            Step::Truncate { obj, size } => {
                assert_eq!(
                    self.write(obj, |op| {
                        op.truncate(size);
                    }),
                    0
                );
                if let Some(data) = self.head.get_mut(&obj) {
                    data.resize(size as usize, 0);
                }
            }
            Step::Remove { obj } => {
                let expect = if self.head.remove(&obj).is_some() { 0 } else { Errno::ENOENT.to_ret() };
                assert_eq!(
                    self.write(obj, |op| {
                        op.remove();
                    }),
                    expect
                );
            }
            Step::Snap => {
                let id = self.store.create_snap(self.pool).unwrap();
                self.snapc.seq = id;
                self.snapc.snaps.insert(0, id);
                self.snaps.insert(id, self.head.clone());
            }
            Step::RemoveSnap { pick } => {
                if let Some(&id) = self.snaps.keys().nth(pick % self.snaps.len().max(1)) {
                    self.store.remove_snap(self.pool, id).unwrap();
                    self.snaps.remove(&id);
                    self.snapc.snaps.retain(|&s| s != id);
                }
            }
            Step::Rollback { obj, pick } => {
                if let Some((&id, objects)) = self.snaps.iter().nth(pick % self.snaps.len().max(1)) {
                    let then = objects.get(&obj).cloned();
                    assert_eq!(
                        self.write(obj, |op| {
                            op.rollback(id);
                        }),
                        0
                    );
                    match then {
                        Some(data) => self.head.insert(obj, data),
                        None => self.head.remove(&obj),
                    };
                }
            }
        }
    }

    fn read(&self, obj: u8, snap: SnapId) -> Option<Vec<u8>> {
        let mut op = ObjectOperation::new();
        op.read(0, 0);
        let reply = self.store.execute(&ObjectRequest::read(self.oid(obj), snap, op));
        match reply.out(0) {
            Ok(data) => Some(data.to_vec()),
            Err(Errno::ENOENT) => None,
            Err(e) => panic!("read failed: {e}"),
        }
    }

    fn check(&self) -> Result<(), TestCaseError> {
        for obj in 0..OBJECTS {
            prop_assert_eq!(self.read(obj, SnapId::HEAD), self.head.get(&obj).cloned(), "head of {}", obj);
            for (&id, objects) in &self.snaps {
                prop_assert_eq!(
                    self.read(obj, SnapId(id)),
                    objects.get(&obj).cloned(),
                    "object {} at snap {}",
                    obj,
                    id
                );
            }
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    // Every object reads as the model says at the head and at every live
    // snapshot, after every step.
    #[test]
    fn store_matches_snapshot_model(steps in prop::collection::vec(step(), 1..40)) {
        let mut h = Harness::new();
        for step in &steps {
            h.apply(step);
            h.check()?;
        }
    }
}
