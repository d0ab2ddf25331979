package dev.todoplatform.infra.random;

import com.pulumi.core.Output;
import com.pulumi.core.annotations.Export;
import com.pulumi.core.annotations.ResourceType;
import com.pulumi.resources.CustomResource;
import com.pulumi.resources.CustomResourceOptions;
import java.util.List;

/**
 * The pulumi-random provider's {@code RandomPassword}, bound by hand: {@code com.pulumi:random} is not on the
 * Maven repository this project builds from. Same shape as a generated SDK class; the engine installs the
 * provider plugin named in {@code com/pulumi/random/plugin.json}. {@code result} and {@code bcryptHash} are secret outputs.
 */
@ResourceType(type = "random:index/randomPassword:RandomPassword")
public class RandomPassword extends CustomResource {
    public static final String TYPE = "random:index/randomPassword:RandomPassword";
    static final String PROVIDER_VERSION = "4.16.7";

    @Export(name = "result", refs = {String.class}, tree = "[0]")
    private Output<String> result;

    public RandomPassword(String name, RandomPasswordArgs args, CustomResourceOptions options) {
        super(TYPE, name, args, makeResourceOptions(options));
    }

    public Output<String> result() {
        return result;
    }

    private static CustomResourceOptions makeResourceOptions(CustomResourceOptions options) {
        CustomResourceOptions defaults = CustomResourceOptions.builder()
                .version(PROVIDER_VERSION)
                // The provider also returns the password's bcrypt hash: as secret as the password (the official SDK
                // marks both).
                .additionalSecretOutputs(List.of("result", "bcryptHash"))
                .build();
        return CustomResourceOptions.merge(defaults, options);
    }
}
