//! The linker section that holds every [`TestDef`]: the macro places one `#[used]` static
//! per test in it, and the linker lays them out back to back, so the registry is a slice
//! that exists before `main` with no constructor per test (inventory's constructors made a
//! 10,000-test crate compile 2.5× slower than libtest's). Supported object formats: ELF
//! (Linux, the BSDs, …), Mach-O (Apple) and PE (Windows), with each format's way of naming
//! a section's bounds. The section names here must match the ones the macro emits.

use super::TestDef;

#[cfg(not(any(target_vendor = "apple", windows)))]
mod bounds {
    use super::TestDef;

    extern "Rust" {
        #[link_name = "__start_partest_tests"]
        pub(super) static START: TestDef;
        #[link_name = "__stop_partest_tests"]
        pub(super) static STOP: TestDef;
    }

    /// Makes the section exist (and its bounds resolve) in a binary with no tests.
    #[used]
    #[unsafe(link_section = "partest_tests")]
    pub(super) static EMPTY: [TestDef; 0] = [];
}

#[cfg(target_vendor = "apple")]
mod bounds {
    use super::TestDef;

    extern "Rust" {
        #[link_name = "\u{1}section$start$__DATA$__partest_tests"]
        pub(super) static START: TestDef;
        #[link_name = "\u{1}section$end$__DATA$__partest_tests"]
        pub(super) static STOP: TestDef;
    }

    #[used]
    #[unsafe(link_section = "__DATA,__partest_tests,regular,no_dead_strip")]
    pub(super) static EMPTY: [TestDef; 0] = [];
}

#[cfg(windows)]
mod bounds {
    use super::TestDef;

    // The linker sorts `.partest$a` < `.partest$b` (the tests) < `.partest$c`.
    #[used]
    #[unsafe(link_section = ".partest$a")]
    pub(super) static START: [TestDef; 0] = [];
    #[used]
    #[unsafe(link_section = ".partest$c")]
    pub(super) static STOP: [TestDef; 0] = [];
    pub(super) static EMPTY: [TestDef; 0] = [];
}

/// Every test registered in this binary, in link order.
pub(crate) fn registered() -> &'static [TestDef] {
    // Referencing EMPTY keeps its object file, and so the section, in the link.
    std::hint::black_box(&bounds::EMPTY);
    // SAFETY: the linker places every TestDef static of the section contiguously between
    // the section's start and stop symbols; TestDef's size is a multiple of its alignment,
    // so the statics form an array. Nothing writes to the section.
    unsafe {
        let start = (&raw const bounds::START).cast::<TestDef>();
        let stop = (&raw const bounds::STOP).cast::<TestDef>();
        let bytes = (stop as usize).saturating_sub(start as usize);
        std::slice::from_raw_parts(start, bytes / std::mem::size_of::<TestDef>())
    }
}
