package dev.todoplatform.service.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import dev.todoplatform.service.http.HttpError;
import java.sql.Connection;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/**
 * Retry's decisions against a pool whose connections fail with a chosen SQLSTATE, in a chosen order (a real
 * failover produces them at moments no test controls): retry through a lost connection and evict the pool,
 * give up with a 503 at the deadline, never retry a real error.
 */
class RetryDecisionsTest {
    private final Database database = mock(Database.class);
    private final Connection connection = mock(Connection.class);

    @Test
    void aLostConnectionIsRetriedAndThePoolEvicted() throws Exception {
        when(database.connection()).thenThrow(new SQLException("I/O error", "08006"))
                .thenThrow(new SQLException("read-only transaction", "25006")).thenReturn(connection);
        assertEquals("ok", new Retry(database, 5_000).run(c -> "ok"));
        verify(database, times(3)).connection();
        verify(database, times(1)).evictAll(); // only the lost connection means the whole pool is stale
    }

    @Test
    void aFailoverLongerThanTheBudgetIsA503NotA500() throws Exception {
        when(database.connection()).thenThrow(new SQLException("the database system is starting up", "57P03"));
        HttpError error = assertThrows(HttpError.class, () -> new Retry(database, 100).run(c -> "never"));
        assertEquals(503, error.status());
        verify(database, never()).evictAll();
    }

    @Test
    void aRealErrorIsNotRetried() throws Exception {
        when(database.connection()).thenReturn(connection);
        Retry retry = new Retry(database, 5_000);
        assertThrows(IllegalStateException.class, () -> retry.run(c -> {
            throw new SQLException("duplicate key", "23505");
        }));
        verify(database, times(1)).connection();
    }
}
