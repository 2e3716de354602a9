// Normalizations of class scores: the inline two-class softmax against the general loop, bit for bit.

#include "link.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

using namespace scorestream::pmml::detail;

namespace {

std::uint64_t bits(double x) {
    std::uint64_t b;
    std::memcpy(&b, &x, sizeof b);
    return b;
}

}  // namespace

TEST_CASE("softmax of two classes: the inline form equals the general loop bit for bit", "[pmml]") {
    const double inf = std::numeric_limits<double>::infinity();
    const double nan = std::numeric_limits<double>::quiet_NaN();
    std::vector<double> scores = {0.0,      -0.0,  1.0,   -1.0,  0.5,      -0.75,   1e-300,  -1e-300,
                                  4.9e-324, 700.0, 709.7, 710.0, -745.0,   -746.0,  -1e300,  1e300,
                                  inf,      -inf,  nan,   -nan,  3.14159,  -2.5e-8, 36.0437, -36.0437,
                                  1e-17,    0.1,   0.2,   0.3,   1.0 / 3.0};
    // NaNs with payloads of their own: the loop's 0 + a keeps a's payload, as a + b does.
    for (std::uint64_t payload : {std::uint64_t{0x7FF8000000000123}, std::uint64_t{0xFFF8000000000456}}) {
        double x;
        std::memcpy(&x, &payload, sizeof x);
        scores.push_back(x);
    }
    int checked = 0;
    for (double a : scores)
        for (double b : scores) {
            double fast[2] = {a, b}, loop[2] = {a, b};
            normalize_classes(Normalization::softmax, fast, 2);
            normalize_classes_general(Normalization::softmax, loop, 2);
            INFO("scores " << a << ", " << b);
            CHECK(bits(fast[0]) == bits(loop[0]));
            CHECK(bits(fast[1]) == bits(loop[1]));
            ++checked;
        }
    CHECK(checked == static_cast<int>(scores.size() * scores.size()));
    // A sanity check of the values themselves: equal scores share evenly, a zero score is exp(0).
    double even[2] = {0.0, 0.0};
    normalize_classes(Normalization::softmax, even, 2);
    CHECK(even[0] == 0.5);
    CHECK(even[1] == 0.5);
    double one[2] = {0.0, std::log(3.0)};
    normalize_classes(Normalization::softmax, one, 2);
    CHECK(one[0] == Approx(0.25));
    CHECK(one[1] == Approx(0.75));
}

TEST_CASE("normal_quantile inverts normal_cdf to the last bits, in both tails", "[pmml]") {
    // Known quantiles (to 16 digits).
    CHECK(normal_quantile(0.975) == Approx(1.959963984540054).epsilon(1e-15));
    CHECK(normal_quantile(0.025) == Approx(-1.959963984540054).epsilon(1e-15));
    CHECK(normal_quantile(1e-10) == Approx(-6.361340902404056).epsilon(1e-14));
    CHECK(normal_quantile(0.8413447460685429) == Approx(1.0).epsilon(1e-14));
    CHECK(normal_quantile(0.5) == 0.0);
    CHECK(normal_quantile(0.0) == -std::numeric_limits<double>::infinity());
    CHECK(normal_quantile(1.0) == std::numeric_limits<double>::infinity());
    CHECK(std::isnan(normal_quantile(-0.1)));
    CHECK(std::isnan(normal_quantile(1.5)));
    CHECK(std::isnan(normal_quantile(std::numeric_limits<double>::quiet_NaN())));
    // Round trips, both tails: the quantile x is within four steps of a double of one whose
    // normal_cdf brackets p (in the far tail, where a step of x moves the CDF by more than its
    // last bit), or normal_cdf(x) is within four steps of p (near the middle, where it moves less).
    const double inf = std::numeric_limits<double>::infinity();
    auto inverts = [&](double p) {
        const double x = normal_quantile(p);
        double lo = x, hi = x;
        for (int i = 0; i < 4; ++i) {
            lo = std::nextafter(lo, -inf);
            hi = std::nextafter(hi, inf);
        }
        const bool bracketed = normal_cdf(lo) <= p && p <= normal_cdf(hi);
        return bracketed || std::fabs(normal_cdf(x) - p) <= 4 * (std::nextafter(p, inf) - p);
    };
    for (double p = 1e-300; p < 0.5; p *= 3.7) {
        INFO("p = " << p);
        CHECK(inverts(p));
        if (1.0 - p != 1.0) CHECK(inverts(1.0 - p));
    }
    CHECK(normal_quantile(std::nextafter(0.5, 0.0)) < 0.0);
    CHECK(normal_quantile(std::nextafter(0.5, 1.0)) > 0.0);
}
