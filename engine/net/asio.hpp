// The one way radbridge includes Boost.Asio.
//
// Boost 1.74's asio/awaitable.hpp uses std::exchange without including
// <utility>; with g++ 12 in C++20 mode that fails unless <utility> comes
// first. Include this header instead of any Boost.Asio header.
#pragma once

#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

namespace radbridge::net {

namespace asio = boost::asio;
using tcp = boost::asio::ip::tcp;

}  // namespace radbridge::net
