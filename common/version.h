#ifndef HUB_VERSION
#define HUB_VERSION "0.1.0"
#endif
