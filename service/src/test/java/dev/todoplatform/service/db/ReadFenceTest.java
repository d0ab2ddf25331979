package dev.todoplatform.service.db;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;

/**
 * The read fence's decisions against a connection whose read node lags exactly as a test needs (a real standby
 * cannot be made to lag by a given amount on demand; the failover and read-your-writes system tests run it for
 * real): wait until the read node has replayed the primary's position, fall back to the primary past the timeout,
 * and stop fencing a session whose read node is the primary.
 */
class ReadFenceTest {
    private final Connection connection = mock(Connection.class);
    private final PreparedStatement primary = mock(PreparedStatement.class);
    private final PreparedStatement readNode = mock(PreparedStatement.class);

    ReadFenceTest() throws Exception {
        when(connection.unwrap(PGConnection.class)).thenReturn(mock(PGConnection.class));
        when(connection.prepareStatement(ReadFence.PRIMARY_LSN)).thenReturn(primary);
        when(connection.prepareStatement(ReadFence.READ_NODE)).thenReturn(readNode);
        ResultSet lsn = row(false, "0/3000000");
        when(primary.executeQuery()).thenReturn(lsn);
    }

    @Test
    void aStandbyThatCatchesUpServesTheRead() throws Exception {
        ResultSet behind = row(true, "0/2FFFFFF");
        ResultSet caughtUp = row(true, "0/3000000");
        when(readNode.executeQuery()).thenReturn(behind, behind, caughtUp);
        assertTrue(new ReadFence(500).await(connection));
        verify(readNode, times(3)).executeQuery();
    }

    @Test
    void aStandbyStillBehindAtTheTimeoutSendsTheReadToThePrimary() throws Exception {
        ResultSet behind = row(true, "0/1000000");
        when(readNode.executeQuery()).thenReturn(behind);
        assertFalse(new ReadFence(20).await(connection), "never a stale read");
    }

    @Test
    void aSessionReadingFromThePrimaryIsNotFencedAgain() throws Exception {
        ResultSet onPrimary = row(false, null);
        when(readNode.executeQuery()).thenReturn(onPrimary);
        ReadFence fence = new ReadFence(500);
        assertTrue(fence.await(connection));
        assertTrue(fence.await(connection));
        verify(connection, times(1)).prepareStatement(ReadFence.PRIMARY_LSN);
    }

    private static ResultSet row(boolean inRecovery, String lsn) throws Exception {
        ResultSet rs = mock(ResultSet.class);
        when(rs.next()).thenReturn(true);
        when(rs.getBoolean(1)).thenReturn(inRecovery);
        when(rs.getString(1)).thenReturn(lsn);
        when(rs.getString(2)).thenReturn(lsn);
        return rs;
    }
}
