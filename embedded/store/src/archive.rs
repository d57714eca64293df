//! `save` and `load`: docker-archive and OCI-layout tars.

use std::io::{Read, Write};

use crate::error::{Error, Result};
use crate::Store;

/// Archive formats `save` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ArchiveFormat {
    /// docker-archive: manifest.json + repositories + config + layer tars.
    #[default]
    Docker,
    /// OCI image layout (oci-layout, index.json, blobs/sha256/...).
    Oci,
}

/// An image `load` added.
#[derive(Debug, Clone)]
pub struct LoadedImage {
    /// Top-level digest stored (manifest or index).
    pub digest: oci_spec::image::Digest,
    /// Image ID.
    pub id: oci_spec::image::Digest,
    /// References tagged (familiar form), empty for an untagged image.
    pub references: Vec<String>,
}

impl Store {
    /// Write the images `names` as a docker-archive tar.
    pub fn save_docker_archive(&self, names: &[String], out: &mut dyn Write) -> Result<()> {
        let _ = (names, out);
        Err(Error::InvalidArchive("save: not implemented yet".into()))
    }

    /// Write the images `names` as an OCI-layout tar.
    pub fn save_oci_archive(&self, names: &[String], out: &mut dyn Write) -> Result<()> {
        let _ = (names, out);
        Err(Error::InvalidArchive("save: not implemented yet".into()))
    }

    /// Load a docker-archive or OCI-layout tar (plain or gzip).
    pub fn load_archive(&self, input: &mut dyn Read) -> Result<Vec<LoadedImage>> {
        let _ = input;
        Err(Error::InvalidArchive("load: not implemented yet".into()))
    }
}
