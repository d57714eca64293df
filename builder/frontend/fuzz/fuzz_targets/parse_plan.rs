//! Fuzz the whole frontend: parse any bytes, dump them, plan them, and run
//! every word through the shell lexer in its modes. Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skiff_frontend::{EnvList, PlanOptions, ShellLex};

fuzz_target!(|data: &[u8]| {
    if let Ok(ast) = skiff_frontend::parse(data) {
        let _ = ast.dump();
        let opts = PlanOptions::default();
        let _ = skiff_frontend::plan(&ast, &opts);
        let mut with_args = opts.clone();
        with_args.target = Some("x".into());
        with_args.build_args.insert("A".into(), "b".into());
        let _ = skiff_frontend::plan(&ast, &with_args);
    }
    let text = String::from_utf8_lossy(data);
    let env = EnvList::from_slice(&["A=a b", "EMPTY=", "X=x*y"]);
    for escape in ['\\', '`'] {
        let mut lex = ShellLex::new(escape);
        let _ = lex.process_word_with_matches(&text, &env);
        let _ = lex.process_words(&text, &env);
        lex.raw_quotes = true;
        lex.raw_escapes = true;
        lex.skip_unset_env = true;
        let _ = lex.process_words(&text, &env);
    }
    let _ = skiff_frontend::parser::heredocs_from_line(&text);
});
