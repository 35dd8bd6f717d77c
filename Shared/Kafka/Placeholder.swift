import CRdKafka
import Errors
