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
/// object is sealed and read-only afterwards, held in one allocation: the arrays' end offsets
/// first, then each array from an 8-byte boundary. The object is one pointer (null when every array
/// is empty), where a std::vector per array costs 24 bytes even empty: a forest has one set per tree,
/// most of them empty or short.
template <class... Ts>
class PackedArrays {
    static_assert((std::is_trivially_copyable_v<Ts> && ...), "the arrays are copied as bytes");
    static_assert(((alignof(Ts) <= 8) && ...), "arrays start at 8-byte boundaries");

public:
    static constexpr std::size_t count = sizeof...(Ts);
    template <std::size_t I>
    using Elem = std::tuple_element_t<I, std::tuple<Ts...>>;

    /// Array I (empty when nothing was stored).
    template <std::size_t I>
    ArrayView<Elem<I>> get() const noexcept {
        if (!block_) return {};
        const std::size_t begin = start(I), end = ends()[I];
        return {reinterpret_cast<const Elem<I>*>(bytes() + begin), (end - begin) / sizeof(Elem<I>)};
    }

    /// Stores copies of the arrays (replacing what was held); holds nothing when all are empty.
    /// Throws std::length_error past 4 GiB in all.
    void assign(const std::vector<Ts>&... arrays) {
        block_.reset();
        if ((arrays.empty() && ...)) return;
        std::array<std::size_t, count> sizes{(arrays.size() * sizeof(Ts))...};
        std::size_t at = header_bytes();
        std::array<std::uint32_t, count> end_at{};
        for (std::size_t i = 0; i < count; ++i) {
            at = round_up(at) + sizes[i];
            if (at > UINT32_MAX) throw std::length_error("compiled arrays over 4 GiB");
            end_at[i] = static_cast<std::uint32_t>(at);
        }
        block_ = std::make_unique<std::uint64_t[]>(round_up(at) / 8);  // zeroed: padding included
        std::memcpy(block_.get(), end_at.data(), sizeof end_at);
        std::size_t i = 0;
        (copy(i++, arrays), ...);
    }

    /// Bytes held (the allocation; the object itself is counted with its owner).
    std::size_t memory_bytes() const noexcept { return block_ ? round_up(ends()[count - 1]) : 0; }

private:
    static constexpr std::size_t round_up(std::size_t n) noexcept { return (n + 7) & ~std::size_t{7}; }
    static constexpr std::size_t header_bytes() noexcept { return count * sizeof(std::uint32_t); }
    const unsigned char* bytes() const noexcept {
        return reinterpret_cast<const unsigned char*>(block_.get());
    }
    const std::uint32_t* ends() const noexcept {
        return reinterpret_cast<const std::uint32_t*>(block_.get());
    }
    std::size_t start(std::size_t i) const noexcept {
        return round_up(i == 0 ? header_bytes() : ends()[i - 1]);
    }
    template <class T>
    void copy(std::size_t i, const std::vector<T>& v) {
        if (!v.empty())
            std::memcpy(reinterpret_cast<unsigned char*>(block_.get()) + start(i), v.data(),
                        v.size() * sizeof(T));
    }

    std::unique_ptr<std::uint64_t[]> block_;
};

}  // namespace scorestream::pmml::detail
