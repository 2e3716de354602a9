// The at-least-once bookkeeping on its own: what may be committed while records are open.

#include <scorestream/kafka/offsets.hpp>
#include <scorestream/kafka/record.hpp>

#include <catch2/catch.hpp>

#include <vector>

using scorestream::kafka::offset_ref;
using scorestream::kafka::offset_tracker;

namespace {
struct tracker_handle {
    offset_tracker* t = offset_tracker::create();
    ~tracker_handle() { t->drop(); }
};
}  // namespace

TEST_CASE("kafka: nothing is committed before anything was read", "[kafka][offsets]") {
    tracker_handle h;
    const auto s = h.t->slot("data", 0);
    CHECK(h.t->commit_position(s) == -1);
}

TEST_CASE("kafka: the commit position stops at the first open offset", "[kafka][offsets]") {
    tracker_handle h;
    const auto s = h.t->slot("data", 0);
    offset_ref a = h.t->open(s, 10);
    offset_ref b = h.t->open(s, 11);
    offset_ref c = h.t->open(s, 12);
    CHECK(h.t->commit_position(s) == 10);
    b.reset();  // done out of order: 10 is still open
    CHECK(h.t->commit_position(s) == 10);
    a.reset();
    CHECK(h.t->commit_position(s) == 12);
    c.reset();
    CHECK(h.t->commit_position(s) == 13);
    CHECK(h.t->open_count() == 0);
}

TEST_CASE("kafka: a copy (an output in flight) keeps the offset open until it is released too",
          "[kafka][offsets]") {
    tracker_handle h;
    const auto s = h.t->slot("data", 1);
    offset_ref rec = h.t->open(s, 0);
    auto* in_flight = new offset_ref(rec);  // what a sink hands to the producer as opaque
    rec.reset();                            // the record left the pipeline
    CHECK(h.t->commit_position(s) == 0);
    delete in_flight;  // the delivery report arrived
    CHECK(h.t->commit_position(s) == 1);
}

TEST_CASE("kafka: moving a handle keeps one reference", "[kafka][offsets]") {
    tracker_handle h;
    const auto s = h.t->slot("data", 0);
    std::vector<offset_ref> held;
    {
        offset_ref r = h.t->open(s, 5);
        held.push_back(std::move(r));
        CHECK(r.empty());
    }
    CHECK(h.t->commit_position(s) == 5);
    held.clear();
    CHECK(h.t->commit_position(s) == 6);
}

TEST_CASE("kafka: handles from before a revocation keep nothing open", "[kafka][offsets]") {
    tracker_handle h;
    const auto s = h.t->slot("data", 0);
    offset_ref old = h.t->open(s, 3);
    h.t->reset_partition(s);
    CHECK(h.t->commit_position(s) == -1);
    offset_ref fresh = h.t->open(s, 3);
    old.reset();  // ignored: belongs to the old assignment
    CHECK(h.t->commit_position(s) == 3);
    fresh.reset();
    CHECK(h.t->commit_position(s) == 4);
}

TEST_CASE("kafka: pending commits are reported once per advance", "[kafka][offsets]") {
    tracker_handle h;
    const auto s = h.t->slot("data", 0);
    h.t->open(s, 0).reset();
    int calls = 0;
    h.t->for_each_pending_commit([&](std::uint32_t slot, std::int64_t at) {
        ++calls;
        CHECK(slot == s);
        CHECK(at == 1);
        h.t->mark_committed(slot, at);
    });
    CHECK(calls == 1);
    h.t->for_each_pending_commit([&](std::uint32_t, std::int64_t) { ++calls; });
    CHECK(calls == 1);
}

TEST_CASE("kafka: a handle outlives its tracker's owner", "[kafka][offsets]") {
    offset_tracker* t = offset_tracker::create();
    offset_ref r = t->open(t->slot("data", 0), 0);
    t->drop();  // the source is gone; the handle keeps the tracker alive
    CHECK(r.topic() == "data");
    r.reset();  // frees it (ASan would catch a use after free or a leak)
}

TEST_CASE("kafka: kafka::record<T> reads as T", "[kafka][offsets]") {
    struct plain {};
    scorestream::kafka::record<int> r;
    r.value = 7;
    const int& v = r;
    CHECK(v == 7);
    CHECK(scorestream::kafka::delivery_ref(r) == &r.ref);
    CHECK(scorestream::kafka::delivery_ref(plain{}) == nullptr);
}
