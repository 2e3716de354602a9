#pragma once
// sink(s): closes a chain. `s` is either a callable taking the element, or an object with
// `write(element)`; if it has `flush()`, that is called when the stream finishes. A sink passed as
// std::ref(obj) is used in place, so the caller can read it afterwards. If the sink throws, the
// element is reported (error_kind::stage), counted, and not counted as delivered.

#include <scorestream/stream/pipe.hpp>

#include <functional>
#include <type_traits>
#include <utility>

namespace scorestream {

namespace detail {
template <class S, class In, class = void>
struct has_write : std::false_type {};
template <class S, class In>
struct has_write<S, In, std::void_t<decltype(std::declval<S&>().write(std::declval<In&&>()))>>
    : std::true_type {};
template <class S, class = void>
struct has_flush : std::false_type {};
template <class S>
struct has_flush<S, std::void_t<decltype(std::declval<S&>().flush())>> : std::true_type {};

template <class S>
S& unwrap(S& s) {
    return s;
}
template <class S>
S& unwrap(std::reference_wrapper<S>& s) {
    return s.get();
}
}  // namespace detail

template <class In, class S>
class sink_stage {
public:
    sink_stage(S s, pipeline_context& ctx) : s_(std::move(s)), ctx_(&ctx) {}
    SCORESTREAM_HOT_INLINE void push(In&& x) {
        auto& s = detail::unwrap(s_);
        using target = std::decay_t<decltype(s)>;
        try {
            if constexpr (detail::has_write<target, In>::value)
                s.write(std::move(x));
            else
                std::invoke(s, std::move(x));
        } catch (const std::exception& e) {
            ctx_->report_stage_error("sink", e.what());
            return;
        } catch (...) {
            ctx_->report_stage_error("sink", "a non-standard exception");
            return;
        }
        ++ctx_->counters.records_out;
    }
    void poll_control() {}
    void finish() {
        auto& s = detail::unwrap(s_);
        if constexpr (detail::has_flush<std::decay_t<decltype(s)>>::value) {
            try {
                s.flush();
            } catch (const std::exception& e) {
                ctx_->report_stage_error("sink flush", e.what());
            }
        }
    }

private:
    S s_;
    pipeline_context* ctx_;
};

template <class S>
struct sink_op : terminal_base {
    S s;

    template <class In>
    auto make(pipeline_context& ctx) && {
        using target = std::decay_t<decltype(detail::unwrap(std::declval<S&>()))>;
        if constexpr (is_upstream_error_v<In>) {
            return invalid_stage{};
        } else if constexpr (!(detail::has_write<target, In>::value || std::is_invocable_v<target&, In&&>)) {
            static_assert(detail::has_write<target, In>::value || std::is_invocable_v<target&, In&&>,
                          "scorestream::sink(s): s must be callable with the stream's element type "
                          "(by value, const& or &&) or have a write(element) member");
            return invalid_stage{};
        } else {
            return sink_stage<In, S>(std::move(s), ctx);
        }
    }
};

template <class S>
sink_op<std::decay_t<S>> sink(S&& s) {
    return {{}, std::forward<S>(s)};
}

}  // namespace scorestream
