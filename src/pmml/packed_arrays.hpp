// PackedArrays: the read-only arrays of one compiled object in a single allocation.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <vector>

namespace scorestream::pmml::detail {

/// A read-only view of `size` elements (what a compiled object's readers take from PackedArrays).
template <class T>
struct ArrayView {
    const T* ptr = nullptr;
    std::size_t count = 0;
    const T* data() const noexcept { return ptr; }
    std::size_t size() const noexcept { return count; }
    bool empty() const noexcept { return count == 0; }
    const T& operator[](std::size_t i) const noexcept { return ptr[i]; }
    const T* begin() const noexcept { return ptr; }
    const T* end() const noexcept { return ptr + count; }
};

/// Arrays of the types Ts (trivially copyable, aligned to at most 8 bytes), written once when the
/// object is sealed and read-only afterwards, held in one allocation. The object is one pointer
/// (null when every array is empty), where a std::vector per array costs 24 bytes even empty: a
/// forest has one set per tree, most of them empty or short.
///
/// The allocation starts with a header that names only the arrays held: a byte per array, its
/// position among them (`absent` when it is empty), then from a 4-byte boundary one offset more
/// than there are arrays held: where the header ends, then where each array ends. Each array starts
/// at the 8-byte boundary at or after the end of the one before (of the header for the first). A
/// tree holding one array thus carries a header of 16 or 24 bytes, not one offset per array type.
template <class... Ts>
class PackedArrays {
    static_assert((std::is_trivially_copyable_v<Ts> && ...), "the arrays are copied as bytes");
    static_assert(((alignof(Ts) <= 8) && ...), "arrays start at 8-byte boundaries");
    static_assert(sizeof...(Ts) < 255, "positions are bytes");

public:
    static constexpr std::size_t count = sizeof...(Ts);
    template <std::size_t I>
    using Elem = std::tuple_element_t<I, std::tuple<Ts...>>;

    /// Array I (empty when nothing was stored).
    template <std::size_t I>
    ArrayView<Elem<I>> get() const noexcept {
        if (!block_) return {};
        const std::uint8_t at = positions()[I];
        if (at == absent) return {};
        const std::uint32_t* const e = ends();
        const std::size_t begin = round_up(e[at]), end = e[at + 1];
        return {reinterpret_cast<const Elem<I>*>(bytes() + begin), (end - begin) / sizeof(Elem<I>)};
    }

    /// Stores copies of the arrays (replacing what was held); holds nothing when all are empty.
    /// Throws std::length_error past 4 GiB in all.
    void assign(const std::vector<Ts>&... arrays) {
        block_.reset();
        const std::array<std::size_t, count> sizes{(arrays.size() * sizeof(Ts))...};
        std::array<std::uint8_t, count> position{};
        std::size_t held = 0;
        for (std::size_t i = 0; i < count; ++i)
            position[i] = sizes[i] ? static_cast<std::uint8_t>(held++) : absent;
        if (held == 0) return;
        std::vector<std::uint32_t> end_at(held + 1);
        std::size_t at = ends_offset() + end_at.size() * sizeof(std::uint32_t);
        end_at[0] = static_cast<std::uint32_t>(at);
        for (std::size_t i = 0; i < count; ++i) {
            if (position[i] == absent) continue;
            at = round_up(at) + sizes[i];
            if (at > UINT32_MAX) throw std::length_error("compiled arrays over 4 GiB");
            end_at[position[i] + 1u] = static_cast<std::uint32_t>(at);
        }
        block_ = std::make_unique<std::uint64_t[]>(round_up(at) / 8);  // zeroed: padding included
        auto* out = reinterpret_cast<unsigned char*>(block_.get());
        std::memcpy(out, position.data(), count);
        std::memcpy(out + ends_offset(), end_at.data(), end_at.size() * sizeof(std::uint32_t));
        std::size_t i = 0;
        (copy(i++, arrays), ...);
    }

    /// Bytes held (the allocation; the object itself is counted with its owner).
    std::size_t memory_bytes() const noexcept {
        if (!block_) return 0;
        const std::uint8_t* p = positions();
        std::uint8_t held = 0;
        for (std::size_t i = 0; i < count; ++i)
            if (p[i] != absent) ++held;
        return round_up(ends()[held]);
    }

private:
    static constexpr std::uint8_t absent = 0xFF;
    static constexpr std::size_t round_up(std::size_t n) noexcept { return (n + 7) & ~std::size_t{7}; }
    /// Where the offsets start: after a byte per array, at a 4-byte boundary.
    static constexpr std::size_t ends_offset() noexcept { return (count + 3) & ~std::size_t{3}; }
    const unsigned char* bytes() const noexcept {
        return reinterpret_cast<const unsigned char*>(block_.get());
    }
    const std::uint8_t* positions() const noexcept { return bytes(); }
    const std::uint32_t* ends() const noexcept {
        return reinterpret_cast<const std::uint32_t*>(bytes() + ends_offset());
    }
    template <class T>
    void copy(std::size_t i, const std::vector<T>& v) {
        if (v.empty()) return;
        const std::uint8_t at = positions()[i];
        std::memcpy(reinterpret_cast<unsigned char*>(block_.get()) + round_up(ends()[at]), v.data(),
                    v.size() * sizeof(T));
    }

    std::unique_ptr<std::uint64_t[]> block_;
};

}  // namespace scorestream::pmml::detail
