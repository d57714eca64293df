//! Content-addressed image store: blobs, image index, layer snapshots, locks, GC.
