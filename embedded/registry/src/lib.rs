//! OCI registry client over rustls with docker-style auth.
