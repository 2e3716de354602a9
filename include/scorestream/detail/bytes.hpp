#pragma once
// Equality of short byte strings without a call: keys (data types, category values) are usually a
// few bytes long, where a call to memcmp costs more than the comparison. Not part of the public API.

#include <scorestream/detail/inline.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace scorestream::detail {

/// Equal first and last words of n >= sizeof(Word) bytes (they overlap when n < 2 words).
template <class Word>
SCORESTREAM_HOT_INLINE bool same_ends(const char* a, const char* b, std::size_t n) noexcept {
    Word a0, a1, b0, b1;
    std::memcpy(&a0, a, sizeof(Word));
    std::memcpy(&b0, b, sizeof(Word));
    std::memcpy(&a1, a + n - sizeof(Word), sizeof(Word));
    std::memcpy(&b1, b + n - sizeof(Word), sizeof(Word));
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

/// Equal bytes, n of them: up to 16 compared inline as two overlapping words, beyond by memcmp.
/// Short lengths are tested first: keys are mostly a few bytes long.
SCORESTREAM_HOT_INLINE bool same_bytes(const char* a, const char* b, std::size_t n) noexcept {
    if (n <= 8) {
        if (n >= 4) return same_ends<std::uint32_t>(a, b, n);
        if (n >= 2) return same_ends<std::uint16_t>(a, b, n);
        return n == 0 || a[0] == b[0];
    }
    if (n <= 16) return same_ends<std::uint64_t>(a, b, n);
    return std::memcmp(a, b, n) == 0;
}

}  // namespace scorestream::detail
