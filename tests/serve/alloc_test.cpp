// Proof of "no heap allocation per record" for consensus, best quality, A/B split and shadow: global
// operator new is counted while records 1001..3000 flow through `join | serve::score() | sink` (the
// first 1000 warm up every member's buffers and scratch). A plain executable (not Catch2) because
// it replaces the global allocation functions. The deadline strategy is not included: handing a
// job to a thread pool may allocate (its queue), and it is not claimed to be allocation-free.

#include "serve_test_util.hpp"

#include <support/count_allocations.hpp>

#include <cstdio>
#include <optional>
#include <string>

using namespace scorestream;
using namespace scorestream::testing;

namespace {
constexpr int warm_up = 1000, measured = 2000;

// Runs the strategy over warm_up + measured records and returns the allocations made while the
// measured records were served (sampled from the sink, so the pipeline's set-up is not counted).
template <class Strategy>
long allocations_per_run(const char* name, Strategy strategy, const std::vector<ModelDescriptor>& members) {
    auto reg = scripted_registry();
    control_queue<ModelDescriptor> models;
    for (const auto& d : members) models.push(d);
    int next = 0;
    long at_start = 0, at_end = 0;
    int seen = 0;
    double sum = 0;
    auto p = generate([&next]() -> std::optional<order> {
                 if (next == warm_up + measured) return std::nullopt;
                 ++next;
                 // x varies the answers; y is 1 every 7th record, which makes member "b" fail.
                 return order{next, "t", double(next % 5), double(next % 7 == 0), {}};
             }) |
             join(models.source(), reg, std::move(strategy)) | serve::score() |
             sink([&](const Scored<order>& s) {
                 ++seen;
                 if (seen == warm_up) at_start = allocations_so_far();
                 if (seen == warm_up + measured) at_end = allocations_so_far();
                 sum += s.prediction.value.as_number();
             });
    p.run();
    if (sum < 0) std::printf("(negative sum)\n");  // uses the answers, so nothing is optimized away
    const long n = at_end - at_start;
    std::printf("%-14s %d records, %ld allocations (%s)\n", name, measured, n, n == 0 ? "ok" : "FAILED");
    return n;
}
}  // namespace

int main() {
    const auto m = [](const char* role, const char* text) { return scripted("t", role, "1", text); };
    long total = 0;
    total += allocations_per_run(
        "consensus", serve::consensus{{"a", "b", "c"}},
        {m("a", "answer 1\nplus x"), m("b", "answer 2\nplus x\nfail_when y 1"), m("c", "answer 3\nplus x")});
    total +=
        allocations_per_run("consensus/vote", serve::consensus{{"a", "b", "c"}},
                            {m("a", "label cat"), m("b", "label dog\nfail_when y 1"), m("c", "label dog")});
    total += allocations_per_run("best_quality", serve::best_quality{{"a", "b", "c"}, "confidence", {}},
                                 {m("a", "answer 1\nconfidence_from x"), m("b", "answer 2\nconfidence 2.5"),
                                  m("c", "answer 3\nconfidence 1\nfail_when y 1")});
    serve::ab_split ab;
    ab.arms = {{"a", 70}, {"b", 30}};
    ab.key_field = "id";
    total += allocations_per_run("ab_split", ab, {m("a", "answer 1\nplus x"), m("b", "answer 2\nplus x")});
    serve::shadow sh;
    sh.tolerance = 0.5;
    total += allocations_per_run("shadow", sh,
                                 {m("primary", "answer 1\nplus x"), m("candidate", "answer 1.25\nplus x")});
    return total == 0 ? 0 : 1;
}
