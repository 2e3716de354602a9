#pragma once
// A record type for the stream tests: an id, a data type and two numeric features.
#include <scorestream/model/record.hpp>

#include <string>

namespace scorestream::testing {
struct rec {
    int id = 0;
    std::string type = "t";
    double x = 0;
    double y = 0;
};
}  // namespace scorestream::testing

template <>
struct scorestream::record_traits<scorestream::testing::rec>
    : scorestream::struct_record<scorestream::testing::rec> {
    using rec = scorestream::testing::rec;
    static const field_table<rec>& fields() {
        static const auto table = field_table<rec>{}.add<&rec::x>("x").add<&rec::y>("y").add<&rec::id>("id");
        return table;
    }
    static std::string_view data_type(const rec& r) { return r.type; }
};
