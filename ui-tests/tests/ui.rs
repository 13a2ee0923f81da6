//! Every compile error the macros can give, one misuse per file with the
//! expected rustc output beside it (`.stderr`, generated with
//! `TRYBUILD=overwrite` and reviewed), and passing programs that check hygiene.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
