#include <catch2/catch.hpp>
#include <scorestream/scorestream.hpp>
#include <scorestream/stream/model_builder.hpp>
#include <scorestream/stream/parallel.hpp>
#include <support/linear_model.hpp>

#include "records.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <map>
#include <mutex>
#include <set>
#include <thread>

using namespace scorestream;
using scorestream::testing::linear_descriptor;
using scorestream::testing::rec;

namespace {
struct keyed {
    int key = 0;
    int seq = 0;
};
struct seen {
    int key;
    int seq;
    int state;
};

// Runs an io_context on a thread of the test for as long as the guard lives.
struct running_context {
    boost::asio::io_context io;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{io.get_executor()};
    std::thread thread;
    void start() {
        thread = std::thread([this] { io.run(); });
    }
    ~running_context() {
        guard.reset();
        if (thread.joinable()) thread.join();
    }
};
}  // namespace

TEST_CASE("records are routed by key: every record once, each key in one partition, in order",
          "[stream][parallel]") {
    std::vector<keyed> input;
    for (int i = 0; i < 20000; ++i) input.push_back({i % 37, i});
    parallel_options o;
    o.partitions = 4;
    o.queue_capacity = 64;  // small, so the dispatcher often waits for room
    std::vector<std::vector<keyed>> out(o.partitions);
    control_queue<int> none;
    none.close();
    auto p = parallel(
        from(input), none.source(), by_key([](const keyed& k) { return k.key; }),
        [&](auto data, auto control, std::size_t i) {
            return std::move(data) | join<int>(std::move(control), [](int& s, int&& v) { s = v; }) |
                   sink([&out, i](Joined<keyed, int>&& j) { out[i].push_back(j.record); });
        },
        o);
    p->run();
    std::map<int, std::size_t> partition_of;
    std::map<int, int> last_seq;
    std::size_t total = 0;
    for (std::size_t i = 0; i < out.size(); ++i) {
        for (const auto& k : out[i]) {
            ++total;
            auto [it, fresh] = partition_of.emplace(k.key, i);
            REQUIRE(it->second == i);  // a key never changes partition
            if (!fresh || last_seq.count(k.key)) REQUIRE(k.seq > last_seq[k.key]);  // order kept per key
            last_seq[k.key] = k.seq;
        }
    }
    REQUIRE(total == input.size());
    REQUIRE(p->counters().dispatched == input.size());
    REQUIRE(p->counters().dropped_newest + p->counters().dropped_oldest == 0);
    for (std::size_t i = 0; i < o.partitions; ++i)
        REQUIRE(p->partition(i).counters().records_in == out[i].size());
}

TEST_CASE("a broadcast update takes effect in every partition exactly for records dispatched after it",
          "[stream][parallel]") {
    script<keyed, int> s;
    std::vector<int> expected;  // the state each record must see, by seq
    int state = -1;
    int seq = 0;
    for (int block = 0; block < 30; ++block) {
        if (block % 3 == 0) {
            state = block;
            s.control(state);
        }
        for (int j = 0; j < 50; ++j) {
            s.data({seq % 5, seq});
            expected.push_back(state);
            ++seq;
        }
    }
    parallel_options o;
    o.partitions = 3;
    std::vector<std::vector<seen>> out(o.partitions);
    auto p = parallel(
        s.data_source(), s.control_source(), round_robin{},
        [&](auto data, auto control, std::size_t i) {
            return std::move(data) | join<int>(std::move(control), [](int& st, int&& v) { st = v; }) |
                   sink([&out, i](Joined<keyed, int>&& j) {
                       out[i].push_back({j.record.key, j.record.seq, j.state ? *j.state : -1});
                   });
        },
        o);
    p->run();
    std::size_t total = 0;
    for (const auto& part : out) {
        for (const auto& r : part) {
            INFO("record " << r.seq);
            REQUIRE(r.state == expected[std::size_t(r.seq)]);
            ++total;
        }
    }
    REQUIRE(total == expected.size());
    REQUIRE(p->counters().control_broadcasts == 10);
}

TEST_CASE("backpressure drop_newest and drop_oldest count every drop", "[stream][parallel]") {
    for (overflow policy : {overflow::drop_newest, overflow::drop_oldest}) {
        // The partition's executor does not run until the dispatcher is done, so the queue fills.
        running_context ctx;
        std::vector<int> input(100);
        for (int i = 0; i < 100; ++i) input[std::size_t(i)] = i;
        parallel_options o;
        o.partitions = 1;
        o.queue_capacity = 8;
        o.on_full = policy;
        std::vector<int> got;
        control_queue<int> none;
        none.close();
        auto p = parallel(
            from(input), none.source(), round_robin{},
            [&](auto data, auto, std::size_t) {
                return std::move(data) | sink([&](int x) { got.push_back(x); });
            },
            o, boost::asio::any_io_executor(ctx.io.get_executor()));
        while (!p->poll(1000).idle) {
        }
        ctx.start();
        p->finish();
        REQUIRE(got.size() == 8);
        if (policy == overflow::drop_newest) {
            REQUIRE(p->counters().dropped_newest == 92);
            REQUIRE(got == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7});
        } else {
            REQUIRE(p->counters().dropped_oldest == 92);
            REQUIRE(got == std::vector<int>{92, 93, 94, 95, 96, 97, 98, 99});
        }
        REQUIRE(p->counters().dispatched == (policy == overflow::drop_oldest ? 100u : 8u));
    }
}

TEST_CASE("backpressure block loses nothing with a slow partition", "[stream][parallel]") {
    std::vector<int> input(3000);
    for (int i = 0; i < 3000; ++i) input[std::size_t(i)] = i;
    parallel_options o;
    o.partitions = 2;
    o.queue_capacity = 4;
    o.on_full = overflow::block;
    std::vector<std::vector<int>> got(2);
    control_queue<int> none;
    none.close();
    auto p = parallel(
        from(input), none.source(), by_key([](int x) { return x % 2; }),
        [&](auto data, auto, std::size_t i) {
            return std::move(data) | sink([&got, i](int x) {
                       volatile double burn = 0;  // a little work per record
                       for (int k = 0; k < 200; ++k) burn = burn + k * 0.5;
                       got[i].push_back(x);
                   });
        },
        o);
    p->run();
    REQUIRE(got[0].size() + got[1].size() == input.size());
    for (const auto& g : got) REQUIRE(std::is_sorted(g.begin(), g.end()));
    REQUIRE(p->counters().dropped_newest + p->counters().dropped_oldest == 0);
}

TEST_CASE("partitions run as posted work on the caller's io_context threads", "[stream][parallel]") {
    boost::asio::io_context io;
    auto guard = boost::asio::make_work_guard(io);
    std::thread t1([&] { io.run(); });
    std::thread t2([&] { io.run(); });
    std::vector<int> input(5000, 1);
    std::vector<long> sums(3, 0);
    parallel_options o;
    o.partitions = 3;
    control_queue<int> none;
    none.close();
    {
        auto p = parallel(
            from(input), none.source(), round_robin{},
            [&](auto data, auto, std::size_t i) {
                return std::move(data) | sink([&sums, i](int x) { sums[i] += x; });
            },
            o, boost::asio::any_io_executor(io.get_executor()));
        p->run();
    }
    guard.reset();
    t1.join();
    t2.join();
    REQUIRE(sums[0] + sums[1] + sums[2] == 5000);
}

namespace {
// A partition "pipeline" that fails on its third turn, to prove worker exceptions reach the caller.
struct failing_partition {
    int turns = 0;
    poll_result poll(std::size_t) {
        if (++turns == 3) throw std::runtime_error("partition blew up");
        return {};
    }
};
}  // namespace

TEST_CASE("an exception on a worker is rethrown on the caller's thread", "[stream][parallel]") {
    std::vector<int> input(100000, 1);
    control_queue<int> none;
    none.close();
    parallel_options o;
    o.partitions = 1;
    o.queue_capacity = 2;
    auto p = parallel(
        from(input), none.source(), round_robin{},
        [](auto, auto, std::size_t) { return failing_partition{}; }, o);
    REQUIRE_THROWS_WITH(p->run(), "partition blew up");
}

TEST_CASE("models built once off the data path serve every partition", "[stream][parallel][score]") {
    ModelRegistry reg;
    reg.add(std::make_shared<testing::linear_factory>());
    control_queue<ModelDescriptor> descriptors;
    descriptors.push(linear_descriptor("t", "m", "1", "bias 10\nw x 1\n"));
    descriptors.push(linear_descriptor("t", "m", "2", "bias oops\n"));  // fails to build: rejected
    auto built = built_models(descriptors.source(), reg);
    // Wait (bounded) until both are built, so every record below sees version 1.
    for (int i = 0; i < 5000 && built.builds() < 2; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    REQUIRE(built.builds() == 2);

    std::vector<rec> input;
    for (int i = 0; i < 1000; ++i) input.push_back({i, "t", double(i), 0});
    parallel_options o;
    o.partitions = 2;
    std::vector<std::vector<std::pair<int, std::string>>> out(2);
    std::vector<std::size_t> rejected(2, 0);
    auto p = parallel(
        from(input), std::move(built), round_robin{},
        [&](auto data, auto control, std::size_t i) {
            auto pl = std::move(data) | join(std::move(control), reg) | score() |
                      sink([&out, i](const Scored<rec>& r) {
                          out[i].push_back({r.record.id, r.ok() ? r.model_version() : r.reason});
                      });
            pl.on_error([&rejected, i](error_kind k, const record_error&) {
                rejected[i] += k == error_kind::rejected_update;
            });
            return pl;
        },
        o);
    p->run();
    std::size_t total = 0;
    for (const auto& part : out)
        for (const auto& [id, v] : part) {
            INFO("record " << id);
            REQUIRE(v == "1");
            ++total;
        }
    REQUIRE(total == input.size());
    REQUIRE(rejected == std::vector<std::size_t>{1, 1});  // each partition saw the failed update
    REQUIRE(p->partition(0).stats().find("t")->rejected_updates == 1);
}

TEST_CASE("a partition that gets no records still applies every control message", "[stream][parallel]") {
    // Every record goes to partition 0; partition 1 is only ever woken for control messages.
    control_queue<int> control;
    control.push(1);
    control.push(2);
    control.close();
    std::vector<keyed> input;
    for (int i = 0; i < 500; ++i) input.push_back({0, i});
    parallel_options o;
    o.partitions = 2;
    o.queue_capacity = 8;  // small: the dispatcher may wait for partition 0 while 1 has control work
    std::vector<int> last_state(2, -1);
    auto p = parallel(
        from(input), control.source(), by_partition([](const keyed&) { return 0; }),
        [&](auto data, auto ctl, std::size_t i) {
            return std::move(data) |
                   join<int>(std::move(ctl),
                             [&last_state, i](int& s, int&& v) {
                                 s = v;
                                 last_state[i] = v;
                             }) |
                   sink([](Joined<keyed, int>&&) {});
        },
        o);
    p->run();
    REQUIRE(p->partition(0).counters().records_in == 500);
    REQUIRE(p->partition(1).counters().records_in == 0);
    for (std::size_t i = 0; i < 2; ++i) {
        REQUIRE(p->partition(i).counters().control_messages == 2);
        REQUIRE(last_state[i] == 2);
    }
}

namespace {
// Where models of the "tracked" type were destroyed: the id of the destroying thread, per model.
struct destruction_log {
    std::mutex mutex;
    std::vector<std::thread::id> threads;
    std::size_t count() {
        std::lock_guard<std::mutex> lock(mutex);
        return threads.size();
    }
};

// A linear model that notes in the log which thread destroys it.
class tracked_model final : public Model {
public:
    tracked_model(ModelPtr inner, destruction_log& log) : inner_(std::move(inner)), log_(&log) {}
    ~tracked_model() override {
        std::lock_guard<std::mutex> lock(log_->mutex);
        log_->threads.push_back(std::this_thread::get_id());
    }
    const ModelIdentity& identity() const noexcept override { return inner_->identity(); }
    const ModelSchema& schema() const noexcept override { return inner_->schema(); }
    std::string to_bytes() const override { return inner_->to_bytes(); }
    void score(const FeatureRow& row, Prediction& out) const override { inner_->score(row, out); }

private:
    ModelPtr inner_;
    destruction_log* log_;
};

class tracked_factory final : public ModelFactory {
public:
    explicit tracked_factory(destruction_log& log) : log_(&log) {}
    std::string type() const override { return "linear"; }
    ModelPtr create(const ModelDescriptor& d) const override {
        return std::make_shared<tracked_model>(linear_.create(d), *log_);
    }
    ModelPtr restore(std::string_view bytes, const ModelIdentity& id) const override {
        return std::make_shared<tracked_model>(linear_.restore(bytes, id), *log_);
    }

private:
    testing::linear_factory linear_;
    destruction_log* log_;
};

// Calls f() until it returns true (then true), at most about 10 s (then false).
template <class F>
bool eventually(F f) {
    for (int i = 0; i < 10000; ++i) {
        if (f()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return false;
}
}  // namespace

TEST_CASE("control_queue notifies its arrival signal after a push and at close", "[stream][parallel]") {
    control_queue<int> q;
    auto reader = q.source();
    auto signal = std::make_shared<arrival_signal>();
    q.push(1);
    reader.notify_on_arrival(signal);  // something is queued already: notified at once
    REQUIRE(signal->wait_for(std::chrono::milliseconds(0)));
    REQUIRE_FALSE(signal->wait_for(std::chrono::milliseconds(0)));  // a wait takes the notification
    q.push(2);
    REQUIRE(signal->wait_for(std::chrono::milliseconds(0)));
    q.close();
    REQUIRE(signal->wait_for(std::chrono::milliseconds(0)));
    int x = 0;
    REQUIRE(reader.next(x) == pull::item);
    REQUIRE(x == 1);
}

TEST_CASE("the builder of built_models sleeps until a descriptor arrives", "[stream][parallel][score]") {
    ModelRegistry reg;
    reg.add(std::make_shared<testing::linear_factory>());
    control_queue<ModelDescriptor> descriptors;
    auto built = built_models(descriptors.source(), reg);
    REQUIRE(eventually([&] { return built.waits() >= 1; }));
    // Nothing arrives: a polling builder would wake again and again; this one stays asleep.
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    REQUIRE(built.waits() == 1);
    REQUIRE(built.builds() == 0);
    // An arrival wakes it (it has no other reason to wake) and the model is built.
    descriptors.push(linear_descriptor("t", "m", "1", "bias 1\nw x 1\n"));
    REQUIRE(eventually([&] { return built.builds() == 1; }));
    model_update u;
    REQUIRE(eventually([&] { return built.next(u) == pull::item; }));
    REQUIRE(u.model);
    REQUIRE(u.model->version() == "1");
    REQUIRE(u.descriptor.data().empty());  // the bytes are dropped once built
}

TEST_CASE("models replaced in the partitions are destroyed by the builder thread, not on a worker",
          "[stream][parallel][score]") {
    destruction_log log;
    ModelRegistry reg;
    reg.add(std::make_shared<tracked_factory>(log));
    control_queue<ModelDescriptor> descriptors;
    constexpr int versions = 20;
    for (int v = 1; v <= versions; ++v)
        descriptors.push(
            linear_descriptor("t", "m", std::to_string(v), "bias " + std::to_string(v) + "\nw x 1\n"));
    descriptors.close();
    auto built = built_models(descriptors.source(), reg);
    REQUIRE(eventually([&] { return built.builds() == std::size_t(versions); }));
    // The control messages are released among the records: a few per poll of the dispatcher.
    std::vector<rec> input;
    for (int i = 0; i < 2000; ++i) input.push_back({i, "t", double(i), 0});
    std::vector<std::set<std::thread::id>> worker_threads(2);
    std::vector<std::size_t> scored(2, 0);
    parallel_options o;
    o.partitions = 2;
    o.control_check_every = 50;
    {
        auto p = parallel(
            from(input), std::move(built), round_robin{},
            [&](auto data, auto control, std::size_t i) {
                model_join_options mo;
                mo.policy = before_state::hold;
                mo.control_batch = 1;  // one update per record: the models are replaced one by one
                return std::move(data) | join(std::move(control), reg, mo) | score() |
                       sink([&, i](const Scored<rec>& r) {
                           worker_threads[i].insert(std::this_thread::get_id());
                           scored[i] += r.ok();
                       });
            },
            o);
        p->run();
        REQUIRE(scored[0] + scored[1] == input.size());
        for (std::size_t i = 0; i < 2; ++i) REQUIRE(p->partition(i).counters().control_messages == versions);
        // Every model but the last was replaced in both partitions, and handed to the builder.
        REQUIRE(eventually([&] { return log.count() >= std::size_t(versions - 1); }));
        std::lock_guard<std::mutex> lock(log.mutex);
        for (const auto& t : log.threads) {
            REQUIRE(worker_threads[0].count(t) == 0);
            REQUIRE(worker_threads[1].count(t) == 0);
            REQUIRE(t != std::this_thread::get_id());
        }
    }
    // The last model went with the pipeline.
    REQUIRE(log.count() == std::size_t(versions));
}

TEST_CASE("built_models polls a control source that cannot signal arrivals, and still retires models",
          "[stream][parallel][score]") {
    destruction_log log;
    ModelRegistry reg;
    reg.add(std::make_shared<tracked_factory>(log));
    std::vector<ModelDescriptor> descriptors;
    for (int v = 1; v <= 3; ++v)
        descriptors.push_back(
            linear_descriptor("t", "m", std::to_string(v), "bias " + std::to_string(v) + "\nw x 1\n"));
    {
        auto built = built_models(from(std::move(descriptors)), reg);  // a vector source: no arrival signal
        REQUIRE(eventually([&] { return built.builds() == 3; }));
        std::vector<std::string> versions;
        model_join_options mo;
        mo.policy = before_state::hold;
        mo.control_batch = 1;
        std::vector<rec> input;
        for (int i = 0; i < 10; ++i) input.push_back({i, "t", double(i), 0});
        auto p = from(input) | join(std::move(built), reg, mo) | score() |
                 sink([&](const Scored<rec>& r) { versions.push_back(r.model_version()); });
        p.run();
        REQUIRE(versions.size() == 10);
        REQUIRE(versions.back() == "3");
        // Versions 1 and 2 were replaced on this thread and handed to the builder, which destroys them.
        REQUIRE(eventually([&] { return log.count() == 2; }));
        std::lock_guard<std::mutex> lock(log.mutex);
        for (const auto& t : log.threads) REQUIRE(t != std::this_thread::get_id());
    }
    REQUIRE(log.count() == 3);
}

namespace {
// A control source that never yields anything and counts how many of its objects are alive, so a
// test can see when the builder state that owns it is gone.
struct counted_source {
    using value_type = ModelDescriptor;
    std::shared_ptr<std::atomic<int>> alive;
    record_error none;
    explicit counted_source(std::shared_ptr<std::atomic<int>> a) : alive(std::move(a)) { ++*alive; }
    counted_source(counted_source&& o) noexcept : alive(o.alive) { ++*alive; }
    counted_source& operator=(counted_source&&) = delete;
    ~counted_source() { --*alive; }
    pull next(ModelDescriptor&) { return pull::idle; }
    const record_error& error() const { return none; }
};
}  // namespace

TEST_CASE("assigning to a built_models source stops the builder it had", "[stream][parallel][score]") {
    ModelRegistry reg;
    reg.add(std::make_shared<testing::linear_factory>());
    auto first = std::make_shared<std::atomic<int>>(0);
    auto second = std::make_shared<std::atomic<int>>(0);
    auto built = built_models(counted_source(first), reg);
    REQUIRE(eventually([&] { return built.waits() >= 1; }));  // its builder thread runs
    REQUIRE(*first == 1);
    built = built_models(counted_source(second), reg);
    // The first builder was stopped and joined by the assignment, so its state (and its source) is gone
    // now, not at some later time; the second one serves.
    REQUIRE(*first == 0);
    REQUIRE(*second == 1);
    REQUIRE(eventually([&] { return built.waits() >= 1; }));
}
