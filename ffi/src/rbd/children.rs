//! The clones of an image's snapshots (rbd_list_children*,
//! rbd_list_descendants), across pools and namespaces.

use crate::types::*;
use std::ffi::{c_char, c_int};
use std::ptr::null;

use rbdrs_client::proto::image::children::LinkedImage;
use rbdrs_client::proto::Errno;

use super::image;
use super::trash::{free_str, strdup};
use crate::boundary::guard;

fn descendants(img: rbd_image_t, max_level: Option<usize>) -> Result<Vec<LinkedImage>, Errno> {
    // SAFETY: the exports' contract: a live handle.
    unsafe { image(img) }?.list_descendants(max_level)
}

/// Child pool and image names (clones in the trash left out), each
/// NUL-terminated, side by side in `pools` and `images`; returns how many,
/// or -ERANGE with both sizes needed.
///
/// # Safety
/// `img` live; lengths valid; buffers valid for them.
#[no_mangle]
pub unsafe extern "C" fn rbd_list_children(
    img: rbd_image_t,
    pools: *mut c_char,
    pools_len: *mut usize,
    images: *mut c_char,
    images_len: *mut usize,
) -> isize {
    guard(|| {
        if pools_len.is_null() || images_len.is_null() {
            return Err(Errno::EINVAL);
        }
        let set: std::collections::BTreeSet<(String, String)> =
            descendants(img, Some(1))?.into_iter().filter(|c| !c.trash).map(|c| (c.pool_name, c.image_name)).collect();
        let (mut pbuf, mut ibuf) = (Vec::new(), Vec::new());
        for (pool, name) in &set {
            pbuf.extend_from_slice(pool.as_bytes());
            pbuf.push(0);
            ibuf.extend_from_slice(name.as_bytes());
            ibuf.push(0);
        }
        // SAFETY: checked non-NULL.
        let fits = unsafe { *pools_len >= pbuf.len() && *images_len >= ibuf.len() };
        unsafe {
            *pools_len = pbuf.len();
            *images_len = ibuf.len();
        }
        if !fits || (!set.is_empty() && (pools.is_null() || images.is_null())) {
            return Err(Errno::ERANGE);
        }
        // SAFETY: buffers valid for at least the sizes checked above.
        unsafe {
            std::ptr::copy_nonoverlapping(pbuf.as_ptr(), pools.cast::<u8>(), pbuf.len());
            std::ptr::copy_nonoverlapping(ibuf.as_ptr(), images.cast::<u8>(), ibuf.len());
        }
        Ok(set.len() as isize)
    })
}

/// The clones with their ids and trash state, then an all-NULL entry;
/// -ERANGE with the entries needed in `*max_children`. Returns the count.
///
/// # Safety
/// `img` live; `max_children` valid; `children` valid for that many.
#[no_mangle]
pub unsafe extern "C" fn rbd_list_children2(
    img: rbd_image_t,
    children: *mut rbd_child_info_t,
    max_children: *mut c_int,
) -> c_int {
    guard(|| {
        if max_children.is_null() {
            return Err(Errno::EINVAL);
        }
        let list = descendants(img, Some(1))?;
        let count = c_int::try_from(list.len()).map_err(|_| Errno::ERANGE)?;
        // librbd wants room for a terminating all-NULL entry too, and
        // leaves *max_children alone when it fits.
        // SAFETY: checked non-NULL.
        if unsafe { *max_children } < count + 1 || children.is_null() {
            unsafe { *max_children = count + 1 };
            return Err(Errno::ERANGE);
        }
        for (i, c) in list.iter().enumerate() {
            let info = rbd_child_info_t {
                pool_name: strdup(&c.pool_name)?,
                image_name: strdup(&c.image_name)?,
                image_id: strdup(&c.image_id)?,
                trash: c.trash,
            };
            // SAFETY: children valid for *max_children >= count entries.
            unsafe { children.add(i).write(info) };
        }
        let end = rbd_child_info_t { pool_name: null(), image_name: null(), image_id: null(), trash: false };
        // SAFETY: room for count + 1 entries checked above.
        unsafe { children.add(list.len()).write(end) };
        Ok(count)
    })
}

/// # Safety
/// `child` NULL or filled by rbd_list_children2.
#[no_mangle]
pub unsafe extern "C" fn rbd_list_child_cleanup(child: *mut rbd_child_info_t) {
    guard(|| {
        // SAFETY: the export's contract.
        if let Some(child) = unsafe { child.as_mut() } {
            for p in [&mut child.pool_name, &mut child.image_name, &mut child.image_id] {
                let mut owned = p.cast_mut();
                unsafe { free_str(&mut owned) };
                *p = std::ptr::null();
            }
        }
        Ok(())
    })
}

/// # Safety
/// `children` holds `num_children` entries from rbd_list_children2.
#[no_mangle]
pub unsafe extern "C" fn rbd_list_children_cleanup(children: *mut rbd_child_info_t, num_children: usize) {
    guard(|| {
        if !children.is_null() {
            for i in 0..num_children {
                // SAFETY: entries from rbd_list_children2.
                unsafe { rbd_list_child_cleanup(children.add(i)) };
            }
        }
        Ok(())
    })
}

fn linked_specs(
    img: rbd_image_t,
    out: *mut rbd_linked_image_spec_t,
    max: *mut usize,
    level: Option<usize>,
) -> Result<c_int, Errno> {
    if max.is_null() {
        return Err(Errno::EINVAL);
    }
    let list = match descendants(img, level) {
        Ok(list) => list,
        Err(e) => {
            // librbd zeroes the caller's array when listing fails.
            if !out.is_null() {
                // SAFETY: out valid for *max entries by contract.
                unsafe { std::ptr::write_bytes(out, 0, *max) };
            }
            return Err(e);
        }
    };
    // SAFETY: checked non-NULL.
    if unsafe { *max } < list.len() || (out.is_null() && !list.is_empty()) {
        unsafe { *max = list.len() };
        return Err(Errno::ERANGE);
    }
    unsafe { *max = list.len() };
    for (i, c) in list.iter().enumerate() {
        let spec = rbd_linked_image_spec_t {
            pool_id: c.pool_id,
            pool_name: strdup(&c.pool_name)?,
            pool_namespace: strdup(&c.pool_namespace)?,
            image_id: strdup(&c.image_id)?,
            image_name: strdup(&c.image_name)?,
            trash: c.trash,
        };
        // SAFETY: out valid for *max >= list.len() entries.
        unsafe { out.add(i).write(spec) };
    }
    Ok(0)
}

/// The direct clones, as linked image specs; -ERANGE with the count
/// needed in `*max_images`.
///
/// # Safety
/// `img` live; `max_images` valid; `images` valid for that many.
#[no_mangle]
pub unsafe extern "C" fn rbd_list_children3(
    img: rbd_image_t,
    images: *mut rbd_linked_image_spec_t,
    max_images: *mut usize,
) -> c_int {
    guard(|| linked_specs(img, images, max_images, Some(1)))
}

/// Every clone down the generations, as linked image specs.
///
/// # Safety
/// As [`rbd_list_children3`].
#[no_mangle]
pub unsafe extern "C" fn rbd_list_descendants(
    img: rbd_image_t,
    images: *mut rbd_linked_image_spec_t,
    max_images: *mut usize,
) -> c_int {
    guard(|| linked_specs(img, images, max_images, None))
}

/// # Safety
/// `images` holds `num_images` entries from rbd_list_children3 and the like.
#[no_mangle]
pub unsafe extern "C" fn rbd_linked_image_spec_list_cleanup(images: *mut rbd_linked_image_spec_t, num_images: usize) {
    guard(|| {
        if images.is_null() {
            return Ok(());
        }
        for i in 0..num_images {
            // SAFETY: entries from the listing calls.
            let spec = unsafe { &mut *images.add(i) };
            unsafe {
                free_str(&mut spec.pool_name);
                free_str(&mut spec.pool_namespace);
                free_str(&mut spec.image_id);
                free_str(&mut spec.image_name);
            }
        }
        Ok(())
    })
}
