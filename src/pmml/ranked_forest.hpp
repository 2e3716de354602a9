// RankedForest: the leaves a forest of small numeric trees reaches, found from the rank of each
// input among the forest's thresholds rather than by walking the trees.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <new>
#include <vector>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace scorestream::pmml::detail {

/// An allocator of 16-byte aligned storage: the thresholds are read two at a time with aligned
/// loads, whatever alignment the global operator new gives.
template <class T>
struct Aligned16 {
    using value_type = T;
    Aligned16() noexcept = default;
    template <class U>
    Aligned16(const Aligned16<U>&) noexcept {}
    T* allocate(std::size_t n) {
        return static_cast<T*>(::operator new (n * sizeof(T), std::align_val_t{16}));
    }
    void deallocate(T* p, std::size_t) noexcept { ::operator delete (p, std::align_val_t{16}); }
    friend bool operator==(const Aligned16&, const Aligned16&) noexcept { return true; }
    friend bool operator!=(const Aligned16&, const Aligned16&) noexcept { return false; }
};

/// A second form of the fixed-level walk's copy of a forest (MiningModelImpl's `fixed` arrays: per
/// node a threshold, an input slot and the index of its first child; a node goes to its second child,
/// one after the first, when !(x <= threshold); a leaf is a NaN threshold whose node steps to itself).
///
/// Every leaf of every tree is a bit in a few 64-bit words, each tree's leaves consecutive and left to
/// right (first child first). A split whose record goes to its second child removes the leaves under
/// its first child; the leaf a tree reaches is then the lowest of its bits left (QuickTree's rule). The
/// splits on one input that send a record second are those whose threshold is below the input's value
/// (all of them for a NaN): the first r of the input's sorted distinct thresholds, r its rank. So the
/// bits a record keeps are, per input, one row of precomputed words chosen by the rank, ANDed over the
/// inputs. A rank is a count of the thresholds below the value, two at a time with SSE2: no branch on
/// the record and no test waiting on another, where a walk's levels wait on each other's loads.
class RankedForest {
public:
    static constexpr std::size_t max_words = 4;

    /// The ranked form of the trees at `roots` of the fixed arrays, or an empty one when a tree has
    /// more than 64 leaves, the leaves need more than max_words words, a split's threshold is a NaN,
    /// or the rows would exceed max_row_bytes.
    static RankedForest of(const std::vector<double>& value, const std::vector<std::uint32_t>& slot,
                           const std::vector<std::uint32_t>& next, const std::vector<std::uint32_t>& roots,
                           std::size_t max_row_bytes = 64 * 1024) {
        RankedForest f;
        if (roots.empty()) return f;
        // The splits of every tree, with the bits of the leaves under their first child.
        struct SplitBits {
            std::uint32_t slot;
            double threshold;
            std::uint32_t word;
            std::uint64_t first;  ///< the first child's leaves, placed in the word
        };
        std::vector<SplitBits> splits;
        std::uint32_t word = 0, shift = 0;
        for (std::uint32_t root : roots) {
            std::vector<std::uint64_t> leaf_values;
            std::vector<SplitBits> own;
            bool ok = true;
            // Depth-first, first child first; `depth` bounds the recursion (the fixed walk takes trees
            // of at most 24 levels, but the arrays are checked here rather than trusted).
            auto add = [&](auto&& self, std::uint32_t i, int depth) -> std::uint64_t {
                if (!ok || depth > 64 || i >= value.size()) {
                    ok = false;
                    return 0;
                }
                if (std::isnan(value[i])) {
                    if (next[i] + 1u != i || leaf_values.size() >= 64) {  // not a leaf, or too many
                        ok = false;
                        return 0;
                    }
                    std::uint64_t bits;
                    std::memcpy(&bits, &value[i], sizeof bits);
                    leaf_values.push_back(bits);
                    return std::uint64_t{1} << (leaf_values.size() - 1);
                }
                const std::uint64_t first = self(self, next[i], depth + 1);
                const std::uint64_t second = self(self, next[i] + 1, depth + 1);
                own.push_back({slot[i], value[i], 0, first});
                return first | second;
            };
            add(add, root, 0);
            if (!ok) return RankedForest{};
            const auto leaves = static_cast<std::uint32_t>(leaf_values.size());
            if (shift + leaves > 64) {
                ++word;
                shift = 0;
            }
            if (word >= max_words) return RankedForest{};
            if (f.starts_.size() <= word) {
                f.starts_.resize(word + 1, 0);
                f.leaves_.resize(word + 1, 0);
                f.leaf_values_.resize(64 * (word + 1), 0);
            }
            f.starts_[word] |= std::uint64_t{1} << shift;
            f.leaves_[word] |= (leaves == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << leaves) - 1) << shift;
            std::copy(leaf_values.begin(), leaf_values.end(), f.leaf_values_.begin() + 64 * word + shift);
            ++f.trees_;
            for (SplitBits& s : own) {
                s.word = word;
                s.first <<= shift;
                splits.push_back(s);
            }
            shift += leaves;
        }
        f.words_ = word + 1;
        // Per input: its distinct thresholds in order. The inputs go in pairs, one per SSE2 lane: the
        // pair's thresholds interleaved (first input's in even places), each padded with +inf to the
        // same even count (a padding threshold is never below a number; a NaN's rank counts it, and
        // its row is the last real one's). An odd input out is paired with one of no thresholds (all
        // padding, every row keeping every leaf) on the same slot. The pairs' thresholds and rows
        // follow each other in the order of pairs_: the first input's rows, then the second's.
        std::map<std::uint32_t, std::vector<double>> by_slot;
        for (const SplitBits& s : splits) by_slot[s.slot].push_back(s.threshold);
        std::vector<std::pair<std::uint32_t, std::vector<double>>> inputs;
        for (auto& [input, ts] : by_slot) {
            std::sort(ts.begin(), ts.end());
            ts.erase(std::unique(ts.begin(), ts.end()), ts.end());
            inputs.emplace_back(input, std::move(ts));
        }
        f.inputs_ = static_cast<std::uint32_t>(inputs.size());
        if (inputs.size() % 2 != 0) inputs.emplace_back(inputs.back().first, std::vector<double>{});
        std::size_t rows_bytes = 0;
        auto add_rows = [&](std::uint32_t input, const std::vector<double>& ts, std::size_t rows) {
            // Row r keeps what the splits on the first r thresholds leave.
            std::vector<std::uint64_t> row(f.words_, ~std::uint64_t{0});
            for (std::size_t r = 0; r < rows; ++r) {
                if (r > 0 && r <= ts.size())
                    for (const SplitBits& s : splits)
                        if (s.slot == input && s.threshold == ts[r - 1]) row[s.word] &= ~s.first;
                f.rows_.insert(f.rows_.end(), row.begin(), row.end());
            }
        };
        for (std::size_t k = 0; k < inputs.size(); k += 2) {
            const auto& [a, ta] = inputs[k];
            const auto& [b, tb] = inputs[k + 1];
            const std::size_t count = (std::max(ta.size(), tb.size()) + 1) / 2 * 2, rows = count + 1;
            rows_bytes += 2 * rows * f.words_ * sizeof(std::uint64_t);
            if (rows_bytes > max_row_bytes) return RankedForest{};
            f.pairs_.push_back({a, b, static_cast<std::uint32_t>(count)});
            for (std::size_t i = 0; i < count; ++i) {
                f.thresholds_.push_back(i < ta.size() ? ta[i] : HUGE_VAL);
                f.thresholds_.push_back(i < tb.size() ? tb[i] : HUGE_VAL);
            }
            add_rows(a, ta, rows);
            add_rows(b, tb, rows);  // the odd one out's partner: no threshold, every row all ones
        }
        f.thresholds_.shrink_to_fit();
        f.rows_.shrink_to_fit();
        f.leaf_values_.resize(64 * std::size_t{word} + shift);  // none past the last leaf
        f.leaf_values_.shrink_to_fit();
        f.starts_.shrink_to_fit();
        f.leaves_.shrink_to_fit();
        f.pairs_.shrink_to_fit();
        return f;
    }

    bool empty() const noexcept { return trees_ == 0; }

    /// Instructions per record, about (as compiled): four per threshold of a pair, sixteen plus four per
    /// word per pair, five per tree, eight per word and some twenty more.
    std::size_t cost() const noexcept {
        std::size_t c = 20 + 5 * std::size_t{trees_} + 8 * words_;
        for (const Pair& p : pairs_) c += 4 * p.count + 16 + 4 * words_;
        return c;
    }

    /// The sum of the value bits of the leaves the trees reach (modulo 2^64): the fixed walk's sum.
    std::uint64_t sum(const double* xs) const noexcept {
        switch (words_) {
            case 1:
                return sum_of<1>(xs);
            case 2:
                return sum_of<2>(xs);
            case 3:
                return sum_of<3>(xs);
            default:
                return sum_of<4>(xs);
        }
    }

    std::size_t memory_bytes() const noexcept {
        return thresholds_.capacity() * sizeof(double) +
               (rows_.capacity() + leaf_values_.capacity() + starts_.capacity() + leaves_.capacity()) *
                   sizeof(std::uint64_t) +
               pairs_.capacity() * sizeof(Pair);
    }
    std::size_t words() const noexcept { return words_; }
    /// The inputs compared (an odd one out counted once).
    std::size_t inputs() const noexcept { return inputs_; }

private:
    struct Pair {
        std::uint32_t a, b;   ///< the inputs' slots (lanes 0 and 1)
        std::uint32_t count;  ///< thresholds per input, padded (even); count + 1 rows each
    };

    /// The ranks of a and b among the `count` thresholds of each from t on (interleaved): how many
    /// are such that !(x <= threshold), those below x, or all of them for a NaN. Leaves t past them.
    static void rank(double a, double b, const double*& t, std::uint32_t count, std::size_t& ra,
                     std::size_t& rb) noexcept {
#if defined(__SSE2__)
        // The counts per lane, less each true test (all ones); two thresholds of each input per round.
        const __m128d v = _mm_set_pd(b, a);
        auto below = [v](const double* at) { return _mm_castpd_si128(_mm_cmpnle_pd(v, _mm_load_pd(at))); };
        __m128i p = _mm_setzero_si128(), q = _mm_setzero_si128();
        const double* const end = t + 2 * static_cast<std::size_t>(count);
        do {
            p = _mm_sub_epi64(p, below(t));
            q = _mm_sub_epi64(q, below(t + 2));
            t += 4;
        } while (t != end);
        p = _mm_add_epi64(p, q);
        ra = static_cast<std::size_t>(_mm_cvtsi128_si64(p));
        rb = static_cast<std::size_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(p, p)));
#else
        ra = rb = 0;
        for (std::uint32_t i = 0; i < count; ++i, t += 2) {
            ra += !(a <= t[0]);
            rb += !(b <= t[1]);
        }
#endif
    }

    template <std::size_t W>
    std::uint64_t sum_of(const double* xs) const noexcept {
        std::uint64_t keep[W];
        for (std::size_t w = 0; w < W; ++w) keep[w] = leaves_[w];
        const double* t = thresholds_.data();
        const std::uint64_t* rows = rows_.data();  // the rows of the pair at hand
        for (const Pair& p : pairs_) {
            std::size_t ra, rb;
            rank(xs[p.a], xs[p.b], t, p.count, ra, rb);
            const std::size_t second = (std::size_t{p.count} + 1) * W;  // where b's rows start
            const std::uint64_t* row_a = rows + ra * W;
            const std::uint64_t* row_b = rows + second + rb * W;
            for (std::size_t w = 0; w < W; ++w) keep[w] &= row_a[w] & row_b[w];
            rows += 2 * second;
        }
        // Per word, the lowest bit left of every tree at once: subtracting each tree's first bit borrows
        // only inside the tree (it keeps at least its own leaf), so keep & ~(keep - starts) holds the
        // lowest bit of each tree and nothing else.
        std::uint64_t sum = 0;
        const std::uint64_t* const values = leaf_values_.data();
        for (std::size_t w = 0; w < W; ++w) {
            std::uint64_t lowest = keep[w] & ~(keep[w] - starts_[w]);
            const std::uint64_t* const v = values + 64 * w;
            for (; lowest != 0; lowest &= lowest - 1)
                sum += v[static_cast<unsigned>(__builtin_ctzll(lowest))];
        }
        return sum;
    }

    std::vector<double, Aligned16<double>> thresholds_;  ///< each pair's from an even index: aligned
    std::vector<std::uint64_t> rows_;
    /// By leaf bit: 64 per word up to the last leaf (0 where no leaf is).
    std::vector<std::uint64_t> leaf_values_;
    std::vector<std::uint64_t> starts_;  ///< per word: the bit of each tree's first leaf
    std::vector<std::uint64_t> leaves_;  ///< per word: the bits of all leaves
    std::uint32_t trees_ = 0;
    std::vector<Pair> pairs_;
    std::uint32_t inputs_ = 0;
    std::uint32_t words_ = 0;
};

}  // namespace scorestream::pmml::detail
