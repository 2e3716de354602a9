#pragma once
// The source contract. A source is any object with
//
//     using value_type = T;
//     scorestream::pull next(T& out);          // item, idle (nothing now), end, or error
//     const scorestream::record_error& error() const;   // the error, valid after pull::error
//
// A source never throws for a bad record: it returns pull::error and describes it, and the
// pipeline routes that description to its error handler, so nothing is lost silently.
// Thread-safety: a source is used by one thread at a time unless its own documentation says more.

#include <scorestream/detail/inline.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

namespace scorestream {

namespace detail {
template <class T>
SCORESTREAM_FLATTEN void move_record(T& to, T& from) noexcept(std::is_nothrow_move_assignable_v<T>) {
    to = std::move(from);
}
}  // namespace detail

enum class pull : std::uint8_t {
    item,   ///< `out` holds the next element
    idle,   ///< nothing available now; try again later
    end,    ///< the source is exhausted and will produce nothing more
    error,  ///< one input unit was malformed; error() says what and where; the source goes on
};

/// What went wrong with one input unit (a record, a message, a model file) and where.
struct record_error {
    std::string source;   ///< which input: a file path, a topic, a queue name
    std::string where;    ///< position in it: "line 12", "offset 4096", "record 7"
    std::string message;  ///< what was wrong
    std::string raw;      ///< the original bytes of the unit, possibly truncated, for dead-lettering

    std::string to_string() const {
        std::string s = source;
        if (!where.empty()) s += (s.empty() ? "" : ":") + where;
        if (!s.empty()) s += ": ";
        return s + message;
    }
};

namespace detail {
template <class S, class = void>
struct is_source : std::false_type {};
template <class S>
struct is_source<S, std::void_t<typename S::value_type,
                                decltype(std::declval<S&>().next(std::declval<typename S::value_type&>())),
                                decltype(std::declval<const S&>().error())>>
    : std::is_same<decltype(std::declval<S&>().next(std::declval<typename S::value_type&>())), pull> {};
}  // namespace detail

/// True when S satisfies the source contract above.
template <class S>
inline constexpr bool is_source_v = detail::is_source<std::decay_t<S>>::value;

}  // namespace scorestream
