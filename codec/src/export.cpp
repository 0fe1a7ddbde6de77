// libtadm is the engine archive linked whole; this file only gives the shared library a source.
#include "tadm/tadm.h"
