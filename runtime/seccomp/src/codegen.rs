//! Resolved profile → classic BPF.
//!
//! Layout of the generated program (execution order):
//!
//! ```text
//!   ld arch
//!   jeq AUDIT_ARCH_<native>  → native section      one test per covered ABI
//!   jeq AUDIT_ARCH_<compat>  → compat section
//!   ret KILL_PROCESS                                any other ABI
//! section:
//!   ld nr
//!   [x86_64 only: nr >= X32_SYSCALL_BIT → x32 section, or KILL if x32 is
//!    not covered; nr == -1 (ptrace's "skip") stays in the x86_64 tree]
//!   binary search over syscall-number ranges → ret <action>
//!                                            or → argument block
//!   argument blocks: per syscall, its rules' argument checks in profile
//!   order, then its unconditional action (or the default)
//! ```
//!
//! Numbers are grouped into ranges of equal outcome (most allowed syscalls
//! are neighbours), so docker's ~370-name allow-list becomes ~100 ranges and
//! a syscall costs ~8 jumps instead of a linear scan of hundreds.
//!
//! Like runc (which docker runs), numbers above the highest syscall the
//! profile names on an ABI get ENOSYS rather than the default action when
//! that action is restrictive: a syscall newer than the profile then looks
//! unimplemented and libcs fall back (clone3 → clone, faccessat2 → faccessat)
//! instead of failing with EPERM.
//!
//! Per syscall, rules with argument checks are tried before unconditional
//! ones (the specific before the general, as libseccomp's rule tree does),
//! each in profile order; the first whose checks all hold decides.

use std::collections::{BTreeMap, HashMap};

use crate::arch::{Abi, X32_SYSCALL_BIT};
use crate::bpf::{arg_hi, arg_lo, Asm, Cond, Insn, Label, OFF_ARCH, OFF_NR};
use crate::profile::{ArgOp, ArgRule};
use crate::resolve::Resolved;
use libc::{SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS};

/// What a filter does with an ABI it does not cover (libseccomp's "bad arch"
/// action is also a kill). Never the default action: a deny-list profile
/// (default ALLOW) must not be bypassed by switching to the i386 or x32 ABI.
pub const BAD_ARCH_RET: u32 = SECCOMP_RET_KILL_PROCESS;

/// ERRNO(ENOSYS): "no such syscall", which libcs answer with a fallback.
const RET_ENOSYS: u32 = SECCOMP_RET_ERRNO | 38;

/// What one syscall number does: argument-checked rules, then a fallback.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Plan {
    pub checked: Vec<(Vec<ArgRule>, u32)>,
    pub fallback: u32,
}

/// The per-number plans of one ABI; numbers absent take the default action.
pub(crate) fn plans(resolved: &Resolved, abi: Abi) -> BTreeMap<u32, Plan> {
    let mut rules: BTreeMap<u32, Vec<(&[ArgRule], u32)>> = BTreeMap::new();
    for rule in &resolved.rules {
        for name in &rule.names {
            if let Some(nr) = abi.syscall_number(name) {
                rules.entry(nr).or_default().push((&rule.args, rule.ret));
            }
        }
    }
    rules
        .into_iter()
        .map(|(nr, list)| {
            let fallback = list
                .iter()
                .find(|(args, _)| args.is_empty())
                .map_or(resolved.default_ret, |(_, ret)| *ret);
            let mut checked: Vec<(Vec<ArgRule>, u32)> = list
                .iter()
                .filter(|(args, _)| !args.is_empty())
                .map(|(args, ret)| (args.to_vec(), *ret))
                .collect();
            // Trailing checks that end where the fallback does change nothing.
            while checked.last().is_some_and(|(_, ret)| *ret == fallback) {
                checked.pop();
            }
            (nr, Plan { checked, fallback })
        })
        .collect()
}

/// Where a range of syscall numbers goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Leaf {
    Ret(u32),
    Block(usize),
}

pub(crate) fn generate(resolved: &Resolved) -> Vec<Insn> {
    let mut asm = Asm::new();
    let bad_arch = asm.ret(BAD_ARCH_RET);

    // Sections, emitted last-first. x32 shares x86_64's audit arch and is
    // reached from the x86_64 section, so it gets no dispatch entry.
    let has_x32 = resolved.abis.contains(&Abi::X32);
    let mut x32_tree = None;
    if has_x32 {
        x32_tree = Some(section_tree(&mut asm, resolved, Abi::X32));
    }
    let mut entries: Vec<(u32, Label)> = Vec::new();
    for &abi in resolved.abis.iter().rev() {
        if abi == Abi::X32 {
            continue;
        }
        let tree = section_tree(&mut asm, resolved, abi);
        let after_nr = if abi == Abi::X86_64 {
            let high = match x32_tree {
                Some(t) => t,
                None => asm.jump(Cond::Eq, u32::MAX, tree, bad_arch),
            };
            asm.jump(Cond::Ge, X32_SYSCALL_BIT, high, tree)
        } else {
            tree
        };
        asm.at(after_nr);
        let entry = asm.load(OFF_NR);
        entries.push((abi.audit_arch(), entry));
    }

    // Dispatch on arch, native first (entries were pushed native-last).
    let mut next = bad_arch;
    for &(audit, entry) in &entries {
        next = asm.jump(Cond::Eq, audit, entry, next);
    }
    asm.at(next);
    asm.load(OFF_ARCH);
    asm.finish()
}

/// The number search and argument blocks of one ABI; returns the search's
/// entry (expects the syscall number in A).
fn section_tree(asm: &mut Asm, resolved: &Resolved, abi: Abi) -> Label {
    let plans = plans(resolved, abi);

    // Shared argument blocks, emitted first so they sit after the search.
    let mut block_ids: HashMap<&Plan, usize> = HashMap::new();
    let mut blocks: Vec<Label> = Vec::new();
    for plan in plans.values() {
        if !plan.checked.is_empty() && !block_ids.contains_key(plan) {
            block_ids.insert(plan, blocks.len());
            blocks.push(emit_block(asm, plan, abi.wide_args()));
        }
    }

    // Ranges [start, next start) of equal outcome covering all of u32.
    let leaf_of = |plan: &Plan| match block_ids.get(plan) {
        Some(&id) => Leaf::Block(id),
        None => Leaf::Ret(plan.fallback),
    };
    let default = Leaf::Ret(resolved.default_ret);
    let mut ranges: Vec<(u32, Leaf)> = vec![(0, default)];
    for (&nr, plan) in &plans {
        add_range(&mut ranges, nr, leaf_of(plan));
        if let Some(after) = nr.checked_add(1) {
            add_range(&mut ranges, after, default);
        }
    }
    // runc's -ENOSYS stub: numbers above the highest the profile names.
    let highest = plans.keys().next_back().copied();
    if let Some(after) = highest
        .filter(|_| resolved.enosys_above_known)
        .and_then(|n| n.checked_add(1))
    {
        add_range(&mut ranges, after, Leaf::Ret(RET_ENOSYS));
    }
    emit_search(asm, &ranges, &blocks)
}

/// Appends the range starting at `start`, merging it with an equal
/// neighbour; a range starting where the last one did replaces it.
fn add_range(ranges: &mut Vec<(u32, Leaf)>, start: u32, leaf: Leaf) {
    if ranges.last().is_some_and(|r| r.0 == start) {
        ranges.pop();
    }
    if ranges.last().is_some_and(|r| r.1 == leaf) {
        return;
    }
    ranges.push((start, leaf));
}

/// Binary search over range starts: `jge start(mid) → upper half`.
fn emit_search(asm: &mut Asm, ranges: &[(u32, Leaf)], blocks: &[Label]) -> Label {
    if ranges.len() == 1 {
        return match ranges[0].1 {
            // A fresh ret right here is as short as a jump to a shared one.
            Leaf::Ret(k) => asm.ret(k),
            Leaf::Block(id) => blocks[id],
        };
    }
    let mid = ranges.len() / 2;
    // Upper half first: emitted backwards, the lower half ends up next.
    let upper = emit_search(asm, &ranges[mid..], blocks);
    let lower = emit_search(asm, &ranges[..mid], blocks);
    asm.jump(Cond::Ge, ranges[mid].0, upper, lower)
}

/// A syscall's checked rules in order, then its fallback.
fn emit_block(asm: &mut Asm, plan: &Plan, wide: bool) -> Label {
    let mut next = asm.ret(plan.fallback);
    for (args, ret) in plan.checked.iter().rev() {
        let mut pass = asm.ret(*ret);
        for arg in args.iter().rev() {
            pass = emit_check(asm, arg, pass, next, wide);
        }
        next = pass;
    }
    next
}

/// One argument comparison: continue at `pass` if it holds, else `fail`.
/// Unsigned 64-bit compares test the high word, then the low word on a tie.
fn emit_check(asm: &mut Asm, arg: &ArgRule, pass: Label, fail: Label, wide: bool) -> Label {
    let (v_hi, v_lo) = ((arg.value >> 32) as u32, arg.value as u32);
    let (d_hi, d_lo) = ((arg.value_two >> 32) as u32, arg.value_two as u32);

    // Low word: the whole comparison on 32-bit ABIs, the tie-break on 64.
    let lo_test = match arg.op {
        ArgOp::Eq => asm.jump(Cond::Eq, v_lo, pass, fail),
        ArgOp::Ne => asm.jump(Cond::Eq, v_lo, fail, pass),
        ArgOp::Gt => asm.jump(Cond::Gt, v_lo, pass, fail),
        ArgOp::Ge => asm.jump(Cond::Ge, v_lo, pass, fail),
        ArgOp::Lt => asm.jump(Cond::Ge, v_lo, fail, pass),
        ArgOp::Le => asm.jump(Cond::Gt, v_lo, fail, pass),
        ArgOp::MaskedEq => {
            let test = asm.jump(Cond::Eq, d_lo, pass, fail);
            asm.at(test);
            asm.and(v_lo)
        }
    };
    asm.at(lo_test);
    let lo = asm.load(arg_lo(arg.index));
    if !wide {
        return lo;
    }

    // High word: decides unless equal to the value's.
    let hi_test = match arg.op {
        ArgOp::Eq => asm.jump(Cond::Eq, v_hi, lo, fail),
        ArgOp::Ne => asm.jump(Cond::Eq, v_hi, lo, pass),
        ArgOp::Gt | ArgOp::Ge => {
            let tie = asm.jump(Cond::Eq, v_hi, lo, fail);
            asm.jump(Cond::Gt, v_hi, pass, tie)
        }
        ArgOp::Lt | ArgOp::Le => {
            let tie = asm.jump(Cond::Eq, v_hi, lo, fail);
            asm.jump(Cond::Ge, v_hi, tie, pass)
        }
        ArgOp::MaskedEq => {
            if v_hi == 0 {
                // (hi & 0) == d_hi is constant: no need to look.
                return if d_hi == 0 { lo } else { fail };
            }
            let test = asm.jump(Cond::Eq, d_hi, lo, fail);
            asm.at(test);
            asm.and(v_hi)
        }
    };
    asm.at(hi_test);
    asm.load(arg_hi(arg.index))
}
