package dev.todoplatform.infra.random;

import com.pulumi.core.Output;
import com.pulumi.core.annotations.Import;
import com.pulumi.resources.ResourceArgs;

/** Inputs of {@link RandomPassword}: the subset this program uses. */
public final class RandomPasswordArgs extends ResourceArgs {
    @Import(name = "length", required = true)
    private final Output<Integer> length;

    @Import(name = "special")
    private final Output<Boolean> special;

    private RandomPasswordArgs(int length, boolean special) {
        this.length = Output.of(length);
        this.special = Output.of(special);
    }

    /** Letters and digits only: safe in connection strings, config files and shell without quoting. */
    public static RandomPasswordArgs alphanumeric(int length) {
        return new RandomPasswordArgs(length, false);
    }
}
