// Payload decoders: what they read, and why they refuse a poison record.

#include <scorestream/proto/model.pb.h>
#include <scorestream/kafka/decoders.hpp>

#include <catch2/catch.hpp>

using namespace scorestream;
namespace k = scorestream::kafka;

namespace {
k::message_view payload(std::string_view p) {
    k::message_view m;
    m.topic = "t";
    m.payload = p;
    return m;
}
}  // namespace

TEST_CASE("kafka: csv_decoder reads one line with quotes, numbers and missing values", "[kafka][decoders]") {
    k::csv_decoder_options o;
    o.columns = {"id", "name", "x", "note"};
    o.data_type = "wine";
    k::csv_decoder d(o);
    io::row r;
    std::string why;
    REQUIRE(d(payload("7,\"a, \"\"b\"\"\",1.50,NA\n"), r, why));
    CHECK(r.size() == 4);
    CHECK(r[0].as_number() == 7);
    CHECK(r[1].text() == "a, \"b\"");
    CHECK(r[2].as_number() == 1.5);
    CHECK(r[2].text() == "1.50");
    CHECK(r[3].is_missing());
    CHECK(r.data_type() == "wine");
    io::row again;
    REQUIRE(d(payload("8,b,2,"), again, why));
    CHECK(again.schema() == r.schema());  // one schema for every message: binding once
}

TEST_CASE("kafka: csv_decoder refuses malformed and invalid lines with a reason", "[kafka][decoders]") {
    k::csv_decoder_options o;
    o.columns = {"id", "x"};
    o.numeric_columns = {"x"};
    k::csv_decoder d(o);
    io::row r;
    std::string why;
    CHECK_FALSE(d(payload("1,2,3"), r, why));
    CHECK(why == "expected 2 cells, got 3");
    CHECK_FALSE(d(payload("1,\"open"), r, why));
    CHECK(why == "unterminated quoted cell 2");
    CHECK_FALSE(d(payload("1,abc"), r, why));
    CHECK(why == "field 'x' must be a number, got 'abc'");
    CHECK_THROWS_AS(k::csv_decoder(k::csv_decoder_options{}), invalid_value_error);
}

TEST_CASE("kafka: json_decoder reads flat objects and checks required fields", "[kafka][decoders]") {
    k::json_decoder_options o;
    o.data_type_field = "kind";
    o.required = {"x"};
    k::json_decoder d(o);
    io::row r;
    std::string why;
    REQUIRE(d(payload(R"({"kind":"red","x":1.25,"ok":true,"n":null})"), r, why));
    CHECK(r.data_type() == "red");
    CHECK(r.get("x").as_number() == 1.25);
    CHECK(r.get("ok").as_number() == 1);
    CHECK(r.get("n").is_missing());
    io::row r2;
    REQUIRE(d(payload(R"({"kind":"white","x":2,"ok":false,"n":3})"), r2, why));
    CHECK(r2.schema() == r.schema());
    CHECK_FALSE(d(payload(R"({"kind":"red"})"), r, why));
    CHECK(why == "required field 'x' is missing or null");
    CHECK_FALSE(d(payload("{not json"), r, why));
    CHECK(why == "invalid JSON");
    CHECK_FALSE(d(payload("[1,2]"), r, why));
    CHECK(why == "expected a JSON object, got array");
    CHECK_FALSE(d(payload(R"({"kind":"red","x":{"a":1}})"), r, why));
    CHECK(why == "field 'x' holds object; only flat objects are supported");
}

TEST_CASE("kafka: protobuf_decoder parses one message and refuses garbage", "[kafka][decoders]") {
    proto::ModelDescriptor d;
    d.set_name("m");
    d.set_version("3");
    const std::string bytes = d.SerializeAsString();
    k::protobuf_decoder<proto::ModelDescriptor> dec;
    proto::ModelDescriptor out;
    std::string why;
    REQUIRE(dec(payload(bytes), out, why));
    CHECK(out.version() == "3");
    CHECK_FALSE(dec(payload("\xff\xff\xff"), out, why));
    CHECK(why == "cannot parse 3-byte message as scorestream.proto.ModelDescriptor");
}
