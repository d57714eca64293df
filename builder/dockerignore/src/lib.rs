//! .dockerignore pattern matching with moby/patternmatcher semantics.
