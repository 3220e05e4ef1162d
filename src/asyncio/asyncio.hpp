// asyncio for C++: everything, as `import asyncio` gives it in Python.
#pragma once

#include "asyncio/backend.hpp"
#include "asyncio/coroutines.hpp"
#include "asyncio/events.hpp"
#include "asyncio/exception_context.hpp"
#include "asyncio/exceptions.hpp"
#include "asyncio/futures.hpp"
#include "asyncio/handles.hpp"
#include "asyncio/log.hpp"
#include "asyncio/protocols.hpp"
#include "asyncio/runners.hpp"
#include "asyncio/server.hpp"
#include "asyncio/sockets.hpp"
#include "asyncio/staggered.hpp"
#include "asyncio/streams.hpp"
#include "asyncio/tasks.hpp"
#include "asyncio/transports.hpp"
