//! skiff build solver: the frontend's stage graph becomes work.
