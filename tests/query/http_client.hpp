#pragma once
// A small blocking HTTP/1.1 client for the query tests (Boost.Beast), loopback only.
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdint>
#include <string>

namespace scorestream::testing {

struct http_reply {
    int status = 0;
    std::string content_type;
    std::string allow;
    bool keep_alive = false;
    std::string body;
};

class http_connection {
public:
    explicit http_connection(std::uint16_t port) : socket_(ioc_) {
        socket_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    }

    http_reply request(boost::beast::http::verb method, const std::string& target, bool keep_alive = true) {
        namespace http = boost::beast::http;
        http::request<http::string_body> req{method, target, 11};
        req.set(http::field::host, "127.0.0.1");
        req.keep_alive(keep_alive);
        http::write(socket_, req);
        return read_reply();
    }

    /// Sends bytes as they are, then reads one answer.
    http_reply raw(const std::string& bytes) {
        boost::asio::write(socket_, boost::asio::buffer(bytes));
        return read_reply();
    }

private:
    http_reply read_reply() {
        namespace http = boost::beast::http;
        http::response_parser<http::string_body> parser;
        parser.body_limit(64 * 1024 * 1024);
        http::read(socket_, buffer_, parser);
        const auto& res = parser.get();
        http_reply r;
        r.status = static_cast<int>(res.result_int());
        r.content_type = std::string(res[http::field::content_type]);
        r.allow = std::string(res[http::field::allow]);
        r.keep_alive = res.keep_alive();
        r.body = res.body();
        return r;
    }

    boost::asio::io_context ioc_;
    boost::asio::ip::tcp::socket socket_;
    boost::beast::flat_buffer buffer_;
};

inline http_reply http_get(std::uint16_t port, const std::string& target) {
    return http_connection(port).request(boost::beast::http::verb::get, target, false);
}

}  // namespace scorestream::testing
