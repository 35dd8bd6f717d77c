import CLibCrypto
