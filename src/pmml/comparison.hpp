#pragma once
// ComparisonMeasure, shared by ClusteringModel and NearestNeighborModel: the element read once (its
// kind, measure, the measure's parameters and the default compareFunction) and the per-record
// arithmetic both families do with it: compare functions on numbers, the fold of the per-field
// terms into a sum (a maximum for chebychev), the distance from that fold, and similarities from
// 0/1 match counts. The families keep what differs: where the values come from, text and table
// comparisons, and how missing values adjust the result. Every formula is a template on the number
// type, for x-mathContext="float" (see float_math.hpp).

#include "compiler.hpp"
#include "float_math.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>

namespace scorestream::pmml::detail {

enum class Measure : std::uint8_t {
    euclidean,
    squared_euclidean,
    chebychev,
    city_block,
    minkowski,
    simple_matching,
    jaccard,
    tanimoto,
    binary_similarity
};
enum class Compare : std::uint8_t { abs_diff, gauss_sim, delta, equal, table };

inline bool is_similarity(Measure m) noexcept { return m >= Measure::simple_matching; }

/// The measure's element name ("squaredEuclidean", ...).
const char* measure_name(Measure m) noexcept;

/// Parses a compareFunction value (absDiff, gaussSim, delta, equal, table).
Compare parse_compare(const Compiler& c, pugi::xml_node n, std::string_view s);

/// A compare function of two numbers: absDiff, gaussSim (with its similarityScale), delta, equal.
/// Text and table comparisons stay with the families.
template <class T>
T compare_numbers(Compare f, T x, T y, T scale) {
    switch (f) {
        case Compare::abs_diff:
            return std::fabs(x - y);
        case Compare::gauss_sim: {
            T z = x - y;
            return fm::exp(-fm::log(T(2)) * (z * z) / (scale * scale));
        }
        case Compare::delta:
            return x == y ? T(0) : T(1);
        case Compare::equal:
            return x == y ? T(1) : T(0);
        case Compare::table:
            break;
    }
    return std::numeric_limits<T>::quiet_NaN();
}

struct ComparisonMeasure {
    Measure measure = Measure::squared_euclidean;
    double p = 2.0;                       ///< minkowski p-parameter
    double c[4] = {}, d[4] = {};          ///< binarySimilarity c00 c01 c10 c11 and d00 d01 d10 d11
    Compare compare = Compare::abs_diff;  ///< the element's compareFunction (absDiff when absent)

    bool similarity() const noexcept { return is_similarity(measure); }

    /// Folds one field (its weight w and compare value v) into acc: the spec's w v^2 (euclidean,
    /// squaredEuclidean), w v (cityBlock) and w v^p (minkowski) are summed in field order;
    /// chebychev keeps the largest w v, starting from the first field's (`first` is true until
    /// chebychev folded a term).
    template <class T>
    void fold(T& acc, bool& first, T w, T v) const {
        switch (measure) {
            case Measure::euclidean:
            case Measure::squared_euclidean:
                acc += w * (v * v);
                break;
            case Measure::city_block:
                acc += w * v;
                break;
            case Measure::minkowski:
                acc += w * fm::pow(v, fm::num<T>(p));
                break;
            default: {  // chebychev
                T t = w * v;
                if (first || t > acc) acc = t;
                first = false;
                break;
            }
        }
    }

    /// The distance from the folded fields and the family's missing-value adjustment:
    /// (adjustment * acc)^(1/2) for euclidean, ^(1/p) for minkowski, adjustment * acc otherwise.
    template <class T>
    T distance(T acc, T adjustment) const {
        switch (measure) {
            case Measure::euclidean:
                return fm::sqrt(acc * adjustment);
            case Measure::minkowski:
                return fm::pow(acc * adjustment, T(1) / fm::num<T>(p));
            default:
                return acc * adjustment;
        }
    }

    /// The similarity from the 0/1 match counts a[2 x + y] (x: the record's value is non-zero, y:
    /// the reference's is), i.e. a00 a01 a10 a11.
    template <class T>
    T similarity_of(const T a[4]) const {
        const T a00 = a[0], a01 = a[1], a10 = a[2], a11 = a[3];
        switch (measure) {
            case Measure::simple_matching:
                return (a11 + a00) / (a11 + a10 + a01 + a00);
            case Measure::jaccard:
                return a11 / (a11 + a10 + a01);
            case Measure::tanimoto:
                return (a11 + a00) / (a11 + T(2) * (a10 + a01) + a00);
            default: {  // binarySimilarity
                auto t = [](double k) { return fm::num<T>(k); };
                return (t(c[3]) * a11 + t(c[2]) * a10 + t(c[1]) * a01 + t(c[0]) * a00) /
                       (t(d[3]) * a11 + t(d[2]) * a10 + t(d[1]) * a01 + t(d[0]) * a00);
            }
        }
    }
};

/// Reads a <ComparisonMeasure>: `kind` (distance or similarity, which must fit the measure), the
/// measure element with its parameters, and compareFunction, which may not be gaussSim or table
/// there (both need a field's own parameters). Errors name the element and line.
ComparisonMeasure read_comparison_measure(const Compiler& c, pugi::xml_node cm);

}  // namespace scorestream::pmml::detail
