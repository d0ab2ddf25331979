package dev.todoplatform.service.db;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/** Which errors are retried, and which of them mean the whole pool is stale (the failover tests show why). */
class RetryTest {

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
        "sqlstate,08006,true,true",     // I/O error: the connection is gone
        "sqlstate,08001,true,true",     // could not connect
        "fatal,XX000,true,true",        // PgPool: unable to read data from DB node
        "sqlstate,25006,true,false",    // read-only transaction: a write reached a new standby
        "sqlstate,55000,true,false",    // recovery is in progress: the WAL lookup reached a new standby
        "sqlstate,57P01,true,false",    // admin shutdown
        "sqlstate,40001,true,false",    // serialization failure
        "sqlstate,23505,false,false",   // unique violation: a bug, not a failover
        "sqlstate,22P02,false,false",   // invalid input
        "pool,,true,false"})            // HikariCP: no connection within the timeout
    void classifies(String kind, String state, boolean transientError, boolean connectionLost) {
        SQLException e = switch (kind) {
            case "fatal" -> new PSQLException(new ServerErrorMessage("SFATAL\0C" + state + "\0Munable to read data\0"));
            case "pool" -> new SQLTransientConnectionException("db - Connection is not available");
            default -> new SQLException("x", state);
        };
        assertEquals(transientError, Retry.isTransient(e), "transient");
        assertEquals(connectionLost, Retry.isConnectionLost(e), "connection lost");
    }
}
