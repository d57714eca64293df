//! `--chmod`: octal (`755`) or symbolic (`u+x,go=r`) like chmod(1).

use skiff_frontend::instructions::Chmod;

/// The mode an entry gets; `is_dir` matters for `X`.
pub fn apply(c: &Chmod, mode: u32, is_dir: bool) -> u32 {
    match c {
        Chmod::Octal(m) => *m,
        Chmod::Symbolic(s) => symbolic(s, mode & 0o7777, is_dir),
    }
}

fn symbolic(spec: &str, mut mode: u32, is_dir: bool) -> u32 {
    for clause in spec.split(',') {
        let who_end = clause
            .find(|c: char| !"ugoa".contains(c))
            .unwrap_or(clause.len());
        let who = &clause[..who_end];
        let mask = if who.is_empty() {
            0o7777
        } else {
            who.chars().map(who_bits).fold(0, |a, b| a | b)
        };
        let mut rest = &clause[who_end..];
        while let Some(op) = rest.chars().next() {
            if !"+-=".contains(op) {
                break;
            }
            rest = &rest[1..];
            let perm_end = rest.find(['+', '-', '=']).unwrap_or(rest.len());
            let perms = &rest[..perm_end];
            rest = &rest[perm_end..];
            let exec_ok = is_dir || mode & 0o111 != 0;
            let bits = perms
                .chars()
                .map(|p| perm_bits(p, exec_ok))
                .fold(0, |a, b| a | b)
                & mask;
            match op {
                '+' => mode |= bits,
                '-' => mode &= !bits,
                _ => mode = (mode & !(mask & 0o7777)) | bits,
            }
        }
    }
    mode
}

/// The mode bits a `who` letter (u, g, o, a) covers.
fn who_bits(w: char) -> u32 {
    match w {
        'u' => 0o4700,
        'g' => 0o2070,
        'o' => 0o0007,
        _ => 0o7777,
    }
}

/// The bits a permission letter sets; `X` only where execution is
/// already allowed (`exec_ok`: a directory, or some x bit set).
fn perm_bits(p: char, exec_ok: bool) -> u32 {
    match p {
        'r' => 0o444,
        'w' => 0o222,
        'x' => 0o111,
        'X' if exec_ok => 0o111,
        's' => 0o6000,
        't' => 0o1000,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes() {
        let s = |x: &str| Chmod::Symbolic(x.into());
        assert_eq!(apply(&Chmod::Octal(0o640), 0o777, false), 0o640);
        assert_eq!(apply(&s("u+x"), 0o644, false), 0o744);
        assert_eq!(apply(&s("go-r"), 0o644, false), 0o600);
        assert_eq!(apply(&s("a=r"), 0o755, false), 0o444);
        assert_eq!(apply(&s("+X"), 0o644, true), 0o755);
        assert_eq!(apply(&s("+X"), 0o644, false), 0o644);
        assert_eq!(apply(&s("u=rwx,g=rx,o="), 0o600, false), 0o750);
    }
}
