"""Assertions shared by the boto3 scripts: what boto3 parsed must be what the test expects.

`errors` collects, per operation, the error codes boto3 raised; each script prints it in its
summary so the Rust side can check the (operation, error) pairs.
"""

from botocore.exceptions import ClientError

errors = {}  # operation -> [error codes boto3 raised]


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def eq(got, want, what):
    if got != want:
        raise AssertionError(f"{what}: got {got!r}, want {want!r}")


def raises_with(exc_class, code, status, fn, **kwargs):
    """Call fn and insist boto3 raises exc_class (a modeled exception or ClientError) with code,
    a message and, unless status is None, that HTTP status and a request id."""
    try:
        fn(**kwargs)
    except exc_class as e:
        eq(e.response["Error"]["Code"], code, f"{fn.__name__} error code")
        check(e.response["Error"]["Message"], f"{fn.__name__} {code} has a message")
        if status is not None:
            eq(e.response["ResponseMetadata"]["HTTPStatusCode"], status, f"{fn.__name__} {code} status")
            check(e.response["ResponseMetadata"].get("RequestId"), f"{fn.__name__} {code} has a request id")
        errors.setdefault(e.operation_name, []).append(code)
        return e
    except ClientError as e:
        raise AssertionError(f"{fn.__name__}: raised {e.response['Error']} not {exc_class.__name__}") from e
    raise AssertionError(f"{fn.__name__}({kwargs}) did not raise {code}")


def raises(exc_class, code, fn, **kwargs):
    """As raises_with, without checking the HTTP status."""
    return raises_with(exc_class, code, None, fn, **kwargs)
