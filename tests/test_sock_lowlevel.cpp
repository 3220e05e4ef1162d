#include "net_support.hpp"
