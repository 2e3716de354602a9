#pragma once
// map(f): emits f(x) for each element x. f is called with the element as an rvalue, so it may take
// it by value, by const reference or by rvalue reference. If f throws, the element is reported to
// the pipeline's error handler (error_kind::stage), counted, and skipped.

#include <scorestream/stream/pipe.hpp>

#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

namespace scorestream {

namespace detail {
template <class F, class In, bool = std::is_invocable_v<F&, In&&>>
struct map_result {
    using type = upstream_error;
};
template <class F, class In>
struct map_result<F, In, true> {
    using type = std::decay_t<std::invoke_result_t<F&, In&&>>;
};
}  // namespace detail

template <class In, class F, class Next>
class map_stage {
public:
    map_stage(F f, Next next, pipeline_context& ctx) : f_(std::move(f)), next_(std::move(next)), ctx_(&ctx) {}
    void push(In&& x) {
        using Out = std::decay_t<std::invoke_result_t<F&, In&&>>;
        std::optional<Out> out;
        try {
            out.emplace(std::invoke(f_, std::move(x)));
        } catch (const std::exception& e) {
            ctx_->report_stage_error("map", e.what());
            return;
        } catch (...) {
            ctx_->report_stage_error("map", "a non-standard exception");
            return;
        }
        next_.push(std::move(*out));
    }
    void poll_control() { next_.poll_control(); }
    void finish() { next_.finish(); }

private:
    F f_;
    Next next_;
    pipeline_context* ctx_;
};

template <class F>
struct map_op : operator_base {
    F f;

    template <class In>
    using output = typename detail::map_result<F, In>::type;

    template <class In, class Next>
    auto make(Next next, pipeline_context& ctx) && {
        if constexpr (is_upstream_error_v<In>) {
            return invalid_stage{};
        } else if constexpr (!std::is_invocable_v<F&, In&&>) {
            static_assert(
                std::is_invocable_v<F&, In&&>,
                "scorestream::map(f): f cannot be called with the stream's element type; "
                "take the element by value, const& or && (see the 'In' type in this instantiation)");
            return invalid_stage{};
        } else {
            static_assert(!std::is_void_v<std::invoke_result_t<F&, In&&>>,
                          "scorestream::map(f): f returns void; use sink(f) to consume elements");
            return map_stage<In, F, Next>(std::move(f), std::move(next), ctx);
        }
    }
};

template <class F>
map_op<std::decay_t<F>> map(F&& f) {
    return {{}, std::forward<F>(f)};
}

}  // namespace scorestream
