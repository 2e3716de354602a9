#pragma once
// The serving join: the dynamic-control join over a group of member models per data type.
//
//     source | join(models, registry, serve::consensus{{"a", "b", "c"}}) | serve::score() | sink(...)
//
// It is join_stage (stream/join.hpp) with a serve::group as the keyed state, so ordering, the
// before-state policies (emit / drop / hold), rejected updates and the error handler behave exactly
// as for join(models, registry). A group is made when the first update for its data type is
// accepted; from then on its records are joined and the strategy decides what the members that
// have a model can answer.
//
// Each ModelDescriptor replaces one member (see group.hpp for how it names the member); a
// "serve.config" descriptor configures the strategy. Either can be rejected: the reason goes to the
// error handler and to serving_stats ("<data_type>/<role>" for a member, "<data_type>" for a
// configuration or an unknown role), and every member keeps serving.
// Thread-safety: a stage belongs to one pipeline thread; models are shared immutably.

#include <scorestream/error.hpp>
#include <scorestream/model/factory.hpp>
#include <scorestream/serve/group.hpp>
#include <scorestream/stream/join.hpp>
#include <scorestream/stream/score.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace scorestream::serve {

/// Options of a serving join; the same as model_join_options plus where strategy stats go.
struct serve_options {
    /// When set, every record is of this data type; otherwise record_traits<T>::data_type(record).
    std::string data_type;
    before_state policy = before_state::emit;  ///< records before any member of their data type
    std::size_t max_held = 10000;
    std::size_t control_check_every = 1;
    std::size_t control_batch = 64;
    std::string name = "serve";
    /// Where strategy stats are written; must outlive the pipeline and be read on its thread. When
    /// null, the join keeps them to itself.
    serve_stats* stats = nullptr;
};

namespace detail {
template <class S, class = void>
struct is_strategy : std::false_type {};
template <class S>
struct is_strategy<S, std::void_t<typename S::engine>>
    : std::bool_constant<std::is_base_of_v<engine_base, typename S::engine>> {};
}  // namespace detail

/// True for the strategy option structs (deadline, consensus, best_quality, ab_split, shadow).
template <class S>
inline constexpr bool is_strategy_v = detail::is_strategy<std::decay_t<S>>::value;

/// Applies ModelDescriptors to groups: a member's new model (built, then published), or a
/// configuration of the strategy; anything else is rejected with the reason.
template <class Engine>
class group_updater {
public:
    group_updater(const ModelRegistry& registry, std::shared_ptr<Engine> engine,
                  std::shared_ptr<serve_stats> own_stats, serve_stats* stats)
        : registry_(&registry), engine_(std::move(engine)), own_stats_(std::move(own_stats)), stats_(stats) {}

    void bind_context(pipeline_context& ctx) {
        ctx_ = &ctx;
        ctx.strategies.push_back(stats_);  // so the pipeline's snapshots carry them
    }

    update_result operator()(group<Engine>& g, ModelDescriptor&& d) {
        if (g.members.empty()) make_group(g, d.data_type());
        if (is_config(d)) {
            update_result r = engine_->configure(g, d.data());
            if (r.accepted) {
                ++g.stats->config_updates;
            } else {
                ++g.stats->rejected_config;
                r.reason = "configuration '" + d.data() + "' for " + Engine::kind + " on data type '" +
                           g.data_type + "': " + r.reason;
                ctx_->stats.of(g.data_type).reject(r.reason);
            }
            return r;
        }
        member* m = g.find(role_of(d));
        if (m == nullptr) return unknown_role(g, d);
        ModelPtr model;
        try {
            model = registry_->build(d);
        } catch (const std::exception& e) {
            return reject_member(*m, e.what());
        }
        install(*m, std::move(model));
        return accept();
    }

    /// A member model built off the data path (built_models()): published, or rejected with the
    /// reason its build failed. Configuration cannot come this way: built_models() drops the text.
    update_result operator()(group<Engine>& g, model_update&& u) {
        const ModelDescriptor& d = u.descriptor;
        if (g.members.empty()) make_group(g, d.data_type());
        if (is_config(d)) {
            std::string why = "configuration for data type '" + d.data_type() +
                              "' arrived through built_models(), which drops its text; send it on a "
                              "ModelDescriptor control stream";
            ++g.stats->rejected_config;
            ctx_->stats.of(d.data_type()).reject(why);
            return reject(std::move(why));
        }
        member* m = g.find(role_of(d));
        if (m == nullptr) return unknown_role(g, d);
        if (!u.model) return reject_member(*m, u.error.empty() ? "update carries no model" : u.error);
        install(*m, std::move(u.model));
        return accept();
    }

    void on_dropped(std::string_view data_type) { ++ctx_->stats.of(data_type).dropped; }

private:
    update_result unknown_role(group<Engine>& g, const ModelDescriptor& d) {
        std::string why = ModelRegistry::describe(d) + " addresses member '" + std::string(role_of(d)) +
                          "', which the " + Engine::kind +
                          " strategy does not have (members: " + detail::role_list(engine_->roles()) + ")";
        ctx_->stats.of(g.data_type).reject(why);
        return reject(std::move(why));
    }

    static update_result reject_member(member& m, const std::string& error) {
        std::string why = "member '" + m.role + "': " + error;
        m.stats->reject(why);
        return reject(std::move(why));
    }

    // Everything the data path needs is prepared before the model pointer is replaced.
    void install(member& m, ModelPtr model) {
        m.binding = feature_binding{};
        m.row.assign(model->schema().inputs.size(), Value::missing());
        m.current = &m.stats->install(model->identity());
        m.model = std::move(model);
        engine_->installed(m);
    }

    void make_group(group<Engine>& g, const std::string& data_type) {
        g.data_type = data_type;
        g.engine = engine_.get();
        g.keep = engine_;
        g.stats = &stats_->of(data_type);
        g.stats->strategy = Engine::kind;
        const auto& roles = engine_->roles();
        g.members.resize(roles.size());
        if (g.stats->members.size() != roles.size()) g.stats->members.resize(roles.size());
        for (std::size_t i = 0; i < roles.size(); ++i) {
            g.members[i].role = roles[i];
            g.members[i].stats = &ctx_->stats.of(data_type + "/" + roles[i]);
            g.stats->members[i].role = roles[i];
        }
        engine_->init(g);
    }

    const ModelRegistry* registry_;
    std::shared_ptr<Engine> engine_;
    std::shared_ptr<serve_stats> own_stats_;
    serve_stats* stats_;
    pipeline_context* ctx_ = nullptr;
};

template <class Control, class Engine>
struct serve_join_op : operator_base {
    Control control;
    const ModelRegistry* registry;
    std::shared_ptr<Engine> engine;
    serve_options opts;

    template <class In>
    using output = Joined<In, group<Engine>>;

    template <class In, class Next>
    auto make(Next next, pipeline_context& ctx) && {
        static_assert(has_record_traits_v<In>,
                      "scorestream::serve::join: the record type has no record_traits specialization; see "
                      "<scorestream/model/record.hpp>");
        if constexpr (!has_data_type_v<In>) {
            if (opts.data_type.empty())
                throw invalid_value_error(
                    "serve::join: the record type has no record_traits<T>::data_type(); set "
                    "serve_options::data_type to the data type every record has");
        }
        join_options jo = join_options_from(opts);
        std::shared_ptr<serve_stats> own;
        serve_stats* stats = opts.stats;
        if (stats == nullptr) {
            own = std::make_shared<serve_stats>();
            stats = own.get();
        }
        using key_fn = scorestream::detail::record_data_type<In>;
        using updater = group_updater<Engine>;
        return join_stage<In, group<Engine>, Control, updater, key_fn,
                          scorestream::detail::descriptor_data_type, Next>(
            std::move(control), updater(*registry, std::move(engine), std::move(own), stats),
            key_fn(opts.data_type), scorestream::detail::descriptor_data_type{}, std::move(jo),
            std::move(next), ctx);
    }
};

/// Joins records with the group of member models of their data type, served by `strategy`
/// (serve::deadline, consensus, best_quality, ab_split or shadow). `control` yields
/// ModelDescriptors; the registry must outlive the pipeline. Throws invalid_value_error here when
/// the strategy's configuration is unusable (e.g. a consensus of fewer than three members).
template <class Control, class Strategy, std::enable_if_t<is_source_v<Control>, int> = 0>
auto join(Control&& control, const ModelRegistry& registry, Strategy strategy, serve_options opts = {}) {
    using C = typename std::decay_t<Control>::value_type;
    static_assert(std::is_same_v<C, ModelDescriptor> || std::is_same_v<C, model_update>,
                  "scorestream::serve::join(control, registry, strategy): the control source must yield "
                  "ModelDescriptor (or model_update from built_models())");
    static_assert(is_strategy_v<Strategy>,
                  "scorestream::serve::join(control, registry, strategy): strategy must be one of "
                  "serve::deadline, serve::consensus, serve::best_quality, serve::ab_split, serve::shadow");
    using Engine = typename Strategy::engine;
    return serve_join_op<std::decay_t<Control>, Engine>{{},
                                                        std::forward<Control>(control),
                                                        &registry,
                                                        std::make_shared<Engine>(std::move(strategy)),
                                                        std::move(opts)};
}

}  // namespace scorestream::serve
