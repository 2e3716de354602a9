#include <scorestream/io/csv.hpp>
#include <scorestream/io/protobuf.hpp>

#include "record_test.pb.h"
#include "test_util.hpp"

#include <catch2/catch.hpp>

#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <google/protobuf/util/delimited_message_util.h>

#include <sstream>
#include <string>

using scorestream::pull;
using scorestream::Value;
using scorestream::io::delimited_source;
using scorestream::io::delimited_writer;
using scorestream::io::descriptor_file_source;
using scorestream::proto::ModelDescriptor;
using Traits = scorestream::record_traits<scorestream::test::Wine>;

namespace {
ModelDescriptor descriptor(const std::string& name, const std::string& version, std::string data) {
    ModelDescriptor d;
    d.set_name(name);
    d.set_version(version);
    d.set_data_type("wine");
    d.set_model_type(scorestream::proto::PMML);
    d.set_data(std::move(data));
    return d;
}

std::string three_descriptors() {
    std::ostringstream out;
    delimited_writer w(out);
    w.write(descriptor("a", "1", std::string(10, 'x')));
    w.write(descriptor("b", "2", std::string(300, 'y')));  // length prefix of two bytes
    w.write(descriptor("c", "3", ""));
    CHECK(w.messages_written() == 3);
    return out.str();
}
}  // namespace

TEST_CASE("io/protobuf: delimited round trip, and the same framing as protobuf's own util", "[io]") {
    const std::string bytes = three_descriptors();
    {
        std::istringstream in(bytes);
        descriptor_file_source src(in);
        auto d = io_test::drain(src);
        REQUIRE(d.errors.empty());
        REQUIRE(d.items.size() == 3);
        CHECK(d.items[1].name() == "b");
        CHECK(d.items[1].data() == std::string(300, 'y'));
        CHECK(d.items[2].version() == "3");
        CHECK(src.offset() == bytes.size());
    }
    {
        // written by protobuf's SerializeDelimitedToOstream, read by delimited_source
        std::ostringstream out;
        for (const char* n : {"p", "q"})
            REQUIRE(google::protobuf::util::SerializeDelimitedToOstream(descriptor(n, "1", "data"), &out));
        std::istringstream in(out.str());
        descriptor_file_source src(in);
        auto d = io_test::drain(src);
        REQUIRE(d.items.size() == 2);
        CHECK(d.items[1].name() == "q");
    }
    {
        // written by delimited_writer, read by protobuf's ParseDelimitedFromZeroCopyStream
        std::istringstream in(bytes);
        google::protobuf::io::IstreamInputStream zin(&in);
        ModelDescriptor m;
        bool clean_eof = false;
        int n = 0;
        while (google::protobuf::util::ParseDelimitedFromZeroCopyStream(&m, &zin, &clean_eof)) ++n;
        CHECK(n == 3);
        CHECK(clean_eof);
    }
}

TEST_CASE("io/protobuf: a truncated message is an error with its offset, then the source ends", "[io]") {
    const std::string bytes = three_descriptors();
    const std::string cut = bytes.substr(0, bytes.size() - 3);  // the last message loses bytes
    std::istringstream in(cut);
    scorestream::io::delimited_options o;
    o.name = "models.bin";
    descriptor_file_source src(in, o);
    auto d = io_test::drain(src);
    REQUIRE(d.items.size() == 2);
    REQUIRE(d.errors.size() == 1);
    const auto third = std::to_string(d.items[0].ByteSizeLong() + 1 + d.items[1].ByteSizeLong() + 2);
    CHECK(d.errors[0].source == "models.bin");
    CHECK(d.errors[0].where == "offset " + third);
    CHECK_THAT(d.errors[0].message, Catch::StartsWith("truncated message: the length prefix says "));
    ModelDescriptor m;
    CHECK(src.next(m) == pull::end);
}

TEST_CASE("io/protobuf: a truncated length prefix is an error, then the source ends", "[io]") {
    std::string bytes = three_descriptors();
    const auto size = bytes.size();
    bytes.push_back('\x80');  // a varint byte that promises more
    std::istringstream in(bytes);
    descriptor_file_source src(in);
    auto d = io_test::drain(src);
    REQUIRE(d.items.size() == 3);
    REQUIRE(d.errors.size() == 1);
    CHECK(d.errors[0].where == "offset " + std::to_string(size));
    CHECK(d.errors[0].message == "truncated length prefix: input ends after 1 of its bytes");
}

TEST_CASE("io/protobuf: an unparsable message is an error with its offset, reading goes on", "[io]") {
    std::ostringstream out;
    delimited_writer w(out);
    w.write(descriptor("a", "1", "x"));
    const auto bad_at = out.str().size();
    out.write("\x03\xff\xff\xff", 4);  // a frame of 3 bytes that are no valid message
    w.write(descriptor("b", "2", "y"));
    std::istringstream in(out.str());
    descriptor_file_source src(in);
    auto d = io_test::drain(src);
    REQUIRE(d.items.size() == 2);
    CHECK(d.items[1].name() == "b");
    REQUIRE(d.errors.size() == 1);
    CHECK(d.order == std::vector<pull>{pull::item, pull::error, pull::item});
    CHECK(d.errors[0].where == "offset " + std::to_string(bad_at));
    CHECK(d.errors[0].message == "cannot parse 3-byte message as scorestream.proto.ModelDescriptor");
    CHECK(d.errors[0].raw == "\xff\xff\xff");
}

TEST_CASE("io/protobuf: a length over the limit or a malformed prefix stops the source", "[io]") {
    {
        std::istringstream in(three_descriptors());
        scorestream::io::delimited_options o;
        o.max_message_bytes = 100;
        descriptor_file_source src(in, o);
        auto d = io_test::drain(src);
        REQUIRE(d.items.size() == 1);
        REQUIRE(d.errors.size() == 1);
        CHECK_THAT(d.errors[0].message, Catch::Contains("exceeds the limit of 100"));
    }
    {
        std::istringstream in(std::string(11, '\xff'));
        descriptor_file_source src(in);
        auto d = io_test::drain(src);
        REQUIRE(d.errors.size() == 1);
        CHECK(d.errors[0].where == "offset 0");
        CHECK(d.errors[0].message == "malformed length prefix (longer than a 64-bit varint)");
    }
}

TEST_CASE("io/protobuf: files: written and read back, unreadable file, unwritable path", "[io]") {
    io_test::temp_dir dir("proto_files");
    {
        delimited_writer w(dir / "models.bin");
        w.write(descriptor("a", "1", "x"));
        w.flush();
    }
    descriptor_file_source src(dir / "models.bin");
    auto d = io_test::drain(src);
    REQUIRE(d.items.size() == 1);
    descriptor_file_source missing(dir / "nope.bin");
    ModelDescriptor m;
    REQUIRE(missing.next(m) == pull::error);
    CHECK(missing.error().source == (dir / "nope.bin").string());
    CHECK(missing.error().message == "cannot open: no such file");
    CHECK(missing.next(m) == pull::end);
    CHECK_THROWS_AS(delimited_writer(dir / "no/dir/x.bin"), scorestream::io_error);
}

TEST_CASE("io/protobuf: messages as records through reflection", "[io]") {
    scorestream::test::Wine w;
    w.set_alcohol(12.5);
    w.set_acidity(0.5f);
    w.set_year(2019);
    w.set_bottles(-7);
    w.set_serial(42);
    w.set_organic(true);
    w.set_region("Douro");
    w.set_label("\x01\x02");
    w.set_color(scorestream::test::WHITE);
    w.set_cooperative(3);
    w.add_history(1.0);
    w.mutable_inner()->set_x(1);
    auto at = [&](const char* name) {
        auto i = Traits::field_index(w, name);
        REQUIRE(i);
        return Traits::field(w, *i);
    };
    CHECK(at("alcohol") == Value::number(12.5));
    CHECK(at("acidity") == Value::number(0.5));
    CHECK(at("year") == Value::number(2019));
    CHECK(at("bottles") == Value::number(-7));
    CHECK(at("serial") == Value::number(42));
    CHECK(at("organic") == Value::number(1));
    CHECK(at("organic").text() == "true");
    CHECK(at("region") == Value::string("Douro"));
    CHECK(at("label") == Value::string("\x01\x02"));
    CHECK(at("color") == Value::string("WHITE"));
    CHECK(at("rating").is_missing());  // proto3 optional, unset
    CHECK(at("estate").is_missing());  // the other oneof member is set
    CHECK(at("cooperative") == Value::number(3));
    CHECK(at("price").is_missing());  // wrapper, unset
    w.mutable_price()->set_value(9.5);
    w.set_rating(4);
    CHECK(at("price") == Value::number(9.5));
    CHECK(at("rating") == Value::number(4));
    CHECK_FALSE(Traits::field_index(w, "history"));  // repeated: not a feature
    CHECK_FALSE(Traits::field_index(w, "inner"));    // a message: not a feature
    CHECK_FALSE(Traits::field_index(w, "nope"));
    CHECK(Traits::schema(w) == scorestream::test::Wine::descriptor());

    auto b = scorestream::feature_binding::resolve(w, {"year", "history", "region"});
    CHECK(b.absent == std::vector<std::string>{"history"});
    std::vector<Value> row(3);
    b.gather(w, row);
    CHECK(row[0] == Value::number(2019));
    CHECK(row[1].is_missing());
    CHECK(row[2] == Value::string("Douro"));
    // works for a message seen only through the base class too
    const google::protobuf::Message& base = w;
    using Base = scorestream::record_traits<google::protobuf::Message>;
    CHECK(Base::field(base, *Base::field_index(base, "year")) == Value::number(2019));
}

TEST_CASE("io/protobuf: protobuf records read from a delimited file", "[io]") {
    std::ostringstream out;
    delimited_writer wr(out);
    for (int i = 0; i < 3; ++i) {
        scorestream::test::Wine w;
        w.set_year(2000 + i);
        wr(w);
    }
    std::istringstream in(out.str());
    delimited_source<scorestream::test::Wine> src(in);
    static_assert(scorestream::is_source_v<delimited_source<scorestream::test::Wine>>);
    auto d = io_test::drain(src);
    REQUIRE(d.items.size() == 3);
    CHECK(d.items[2].year() == 2002);
}

TEST_CASE("io/protobuf: Scored results to ScoredResult messages, written delimited", "[io]") {
    std::istringstream csv("kind,x\nred,1\n");
    scorestream::io::csv_options co;
    co.data_type_column = "kind";
    co.name = "in.csv";
    scorestream::io::csv_source src(csv, co);
    scorestream::io::row r;
    REQUIRE(src.next(r) == pull::item);
    auto model =
        std::make_shared<io_test::fixed_model>("quality", "v3", std::vector<std::string>{"p", "label"});
    auto ok = io_test::scored(r, model, Value::string("good"), {Value::number(0.9), Value::missing()});
    ok.answered_by = "primary";
    auto res = scorestream::io::to_scored_result(ok);
    CHECK(res.data_type() == "red");
    CHECK(res.model_name() == "quality");
    CHECK(res.model_version() == "v3");
    CHECK(res.category() == "good");
    REQUIRE(res.outputs_size() == 2);
    CHECK(res.outputs(0).name() == "p");
    CHECK(res.outputs(0).number() == 0.9);
    CHECK(res.outputs(1).value_case() == scorestream::proto::OutputValue::VALUE_NOT_SET);
    CHECK(res.duration_ns() == 1500);
    CHECK(res.error().empty());
    CHECK(res.record_key() == "in.csv:2");
    CHECK(res.answered_by() == "primary");

    std::ostringstream out;
    scorestream::io::scored_result_sink<scorestream::io::row> sink(out);
    sink(ok);
    sink(io_test::unscored(r, "no model for data type 'red'"));
    sink.flush();
    std::istringstream in(out.str());
    delimited_source<scorestream::proto::ScoredResult> back(in);
    auto d = io_test::drain(back);
    REQUIRE(d.items.size() == 2);
    CHECK(d.items[0].category() == "good");
    CHECK(d.items[1].error() == "no model for data type 'red'");
    CHECK(d.items[1].score_case() == scorestream::proto::ScoredResult::SCORE_NOT_SET);
    CHECK(d.items[1].model_name().empty());
}
