//! skiff's container runtime on youki's libcontainer.
