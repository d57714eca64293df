//! Dockerfile frontend: parser, shell-word expansion, typed instructions, stage graph.
