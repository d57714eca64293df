//! A step's upper directory becomes a layer blob in the store (and
//! `--squash` folds a stage's own layers into one).

use std::fs;
use std::path::{Path, PathBuf};

use skiff_store::LayerInfo;

use crate::error::{io_at, BuildError, Result};
use crate::layer::{tarball, Compression, LayerEncoder, TarOptions};

use super::stage::{chain_ids, State};
use super::{Shared, StageOut};

/// Fill a fresh temp directory with `fill` and commit it as the step's
/// layer (None when it stays empty); the directory is removed either way.
pub(super) fn layer_in_temp_dir(
    sh: &Shared,
    st: &State,
    name: &str,
    fill: impl FnOnce(&Path) -> Result<()>,
) -> Result<Option<LayerInfo>> {
    let upper = sh.store.create_temp_dir(name)?;
    let r = fill(&upper).and_then(|()| commit_layer(sh, &upper, layer_compression(sh, st)));
    let _ = fs::remove_dir_all(&upper);
    r
}

/// What a step's layer is compressed with: intermediate stages are never
/// exported, so their layers get the fastest level.
pub(super) fn layer_compression(sh: &Shared, st: &State) -> Compression {
    match sh.compression {
        Compression::Gzip(_) if st.intermediate => Compression::Gzip(1),
        c => c,
    }
}

/// Tar `upper` into a layer blob in the store; None when it is empty.
pub(crate) fn commit_layer(
    sh: &Shared,
    upper: &Path,
    compression: Compression,
) -> Result<Option<LayerInfo>> {
    commit_dir(&sh.store, upper, compression, sh.opts.source_date_epoch)
}

/// The one path from an overlay upper dir to a layer blob in `store`, for
/// build steps and `skiff commit`: overlay whiteouts become `.wh.` entries;
/// None when the directory is empty. The caller keeps `upper` from
/// changing while it is read.
pub fn commit_dir(
    store: &skiff_store::Store,
    upper: &Path,
    compression: Compression,
    source_date_epoch: Option<i64>,
) -> Result<Option<LayerInfo>> {
    if tarball::dir_is_empty(upper)? {
        return Ok(None);
    }
    let bw = store.blob_writer(None)?;
    let tmp_path = bw.temp_path().to_path_buf();
    let enc = LayerEncoder::new(bw, compression).map_err(io_at(&tmp_path))?;
    let opts = TarOptions {
        source_date_epoch,
        overlay_whiteouts: true,
    };
    let (enc, _) = tarball::write_dir_tar(upper, enc, &opts)?;
    let (bw, encoded) = enc.finish().map_err(io_at(&tmp_path))?;
    let info = bw.commit()?;
    Ok(Some(LayerInfo {
        digest: info.digest,
        size: info.size,
        diff_id: skiff_store::parse_digest(&encoded.diff_id)?,
        media_type: compression.oci_media_type().to_string(),
        uncompressed_size: encoded.uncompressed_size,
    }))
}

/// `--squash`: everything above the base image as one layer.
pub(crate) fn squash(sh: &Shared, out: &StageOut) -> Result<(LayerInfo, PathBuf)> {
    let upper = sh.store.create_temp_dir("build-squash")?;
    let r = (|| -> Result<(LayerInfo, PathBuf)> {
        // Apply the new layers in order onto one directory, overlay style.
        for snap in &out.snapshots[out.base_layers..] {
            crate::squash::apply_overlay_layer(snap, &upper).map_err(io_at(snap))?;
        }
        let l = commit_layer(sh, &upper, sh.compression)?
            .ok_or_else(|| BuildError::Invalid("squash produced an empty layer".into()))?;
        let chains = chain_ids(&out.layers[..out.base_layers]);
        let chain = skiff_store::chain_id(chains.last(), &l.diff_id);
        let snap =
            sh.store
                .unpack_layer_blob(&chain, &l.diff_id, &l.digest, Some(&l.media_type))?;
        Ok((l, snap))
    })();
    let _ = fs::remove_dir_all(&upper);
    r
}
