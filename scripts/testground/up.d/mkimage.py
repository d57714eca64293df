# Helper (not run by `up`: not executable): write a one-layer OCI image
# layout from a rootfs tar, for skopeo to copy into a test registry. Used by
# 40-busybox-image and by tests that need special images (a big layer, a
# blob to corrupt) without depending on `skiff import`.
#
#   python3 mkimage.py ROOTFS.tar LAYOUT_DIR [--cmd sh -c ...]
import gzip, hashlib, json, os, shutil, sys

def blob(layout, data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(layout, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return "sha256:" + d, len(data)

def main():
    rootfs, layout = sys.argv[1], sys.argv[2]
    cmd = sys.argv[sys.argv.index("--cmd") + 1:] if "--cmd" in sys.argv else ["sh"]
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    # Stream: hash the tar and gzip it to a temp file, never all in memory.
    tmp = os.path.join(layout, "layer.tmp")
    diff = hashlib.sha256()
    with open(rootfs, "rb") as src, open(tmp, "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) as gz:
            while True:
                b = src.read(1 << 20)
                if not b:
                    break
                diff.update(b)
                gz.write(b)
    h = hashlib.sha256()
    with open(tmp, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
    layer_digest = "sha256:" + h.hexdigest()
    layer_size = os.path.getsize(tmp)
    shutil.move(tmp, os.path.join(layout, "blobs", "sha256", h.hexdigest()))
    config = {
        "created": "2026-01-01T00:00:00Z",
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], "Cmd": cmd},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff.hexdigest()]},
        "history": [{"created": "2026-01-01T00:00:00Z", "created_by": "mkimage.py"}],
    }
    cfg_digest, cfg_size = blob(layout, json.dumps(config, separators=(",", ":")).encode())
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg_digest, "size": cfg_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest, "size": layer_size}],
    }
    m_digest, m_size = blob(layout, json.dumps(manifest, separators=(",", ":")).encode())
    index = {
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": m_digest, "size": m_size,
            "annotations": {"org.opencontainers.image.ref.name": "latest"},
        }],
    }
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    print(json.dumps({"manifest": m_digest, "config": cfg_digest, "layer": layer_digest, "layer_size": layer_size}))

main()
