import CLibPQ
import Errors
