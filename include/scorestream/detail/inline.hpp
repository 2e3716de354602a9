#pragma once
// How the per-record path asks the compiler for inlining. Not part of the public API.
//
// The per-record path of a pipeline is a chain of push() calls, one per stage. Their hot parts are
// forced inline into the pipeline's loop (the whole chain becomes one function with no call per
// stage); their rare parts (unjoined records, rebinding, errors) are kept out of line.
// Records are moved from stage to stage with detail::move_record, which is flattened: the record
// type's move assignment (e.g. std::string's) is inlined even inside the large function the
// chain becomes, where the compiler's size limits would otherwise leave it a call.
#if defined(__GNUC__) || defined(__clang__)
#define SCORESTREAM_HOT_INLINE [[gnu::always_inline]] inline
#define SCORESTREAM_COLD [[gnu::noinline, gnu::cold]]
#define SCORESTREAM_FLATTEN [[gnu::flatten]] inline
#else
#define SCORESTREAM_HOT_INLINE inline
#define SCORESTREAM_COLD
#define SCORESTREAM_FLATTEN inline
#endif
